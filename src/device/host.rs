//! Host-level runs on a device: what `Backend::Sim` and `Backend::Npu` do for every op of
//! [`crate::ops`] — upload the inputs, allocate the outputs and workspaces, launch through
//! [`super::ops`] on a stream of our own, synchronize, download, and free everything, on
//! success and on every error path alike.

use super::kernels::DevicePtr;
use super::ops::DeviceTensor;
use super::{DeviceBuffer, Exec, Stream, StreamHandle};
use crate::error::{Error, Result};
use crate::formats::DType;

/// A device allocation of a run, or none for an empty tensor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot(Option<usize>);

/// One host-level run: a stream and the buffers made for it. Dropping it synchronizes the stream
/// (if the run did not) before the buffers are freed and the stream destroyed.
pub(crate) struct HostRun<'e> {
    exec: &'e Exec,
    // Field order is drop order: the buffers go before the stream.
    buffers: Vec<DeviceBuffer>,
    stream: Stream,
    synced: bool,
}

impl<'e> HostRun<'e> {
    /// A new run on `exec`'s device.
    pub(crate) fn new(exec: &'e Exec) -> Result<HostRun<'e>> {
        let stream = exec.device.stream()?;
        Ok(HostRun {
            exec,
            buffers: Vec::new(),
            stream,
            synced: false,
        })
    }

    /// The run's stream.
    pub(crate) fn stream(&self) -> StreamHandle {
        self.stream.handle()
    }

    /// A device copy of `data` (nothing for an empty slice).
    pub(crate) fn input<T: bytemuck::Pod>(&mut self, data: &[T]) -> Result<Slot> {
        let bytes = std::mem::size_of_val(data);
        if bytes == 0 {
            return Ok(Slot(None));
        }
        let buf = self.exec.device.alloc(bytes)?;
        buf.upload(data)?;
        self.buffers.push(buf);
        Ok(Slot(Some(self.buffers.len() - 1)))
    }

    /// A device allocation of `bytes` bytes for the kernels to write (nothing for 0).
    pub(crate) fn output(&mut self, bytes: usize) -> Result<Slot> {
        if bytes == 0 {
            return Ok(Slot(None));
        }
        let buf = self.exec.device.alloc(bytes)?;
        self.buffers.push(buf);
        Ok(Slot(Some(self.buffers.len() - 1)))
    }

    /// A device allocation for `elements` elements of `T` to be written.
    pub(crate) fn output_for<T>(&mut self, elements: usize) -> Result<Slot> {
        let bytes = elements
            .checked_mul(std::mem::size_of::<T>())
            .ok_or_else(|| Error::shape("output", "a size that fits in usize", &[elements]))?;
        self.output(bytes)
    }

    /// The slot as a tensor of `shape` and `dtype`.
    pub(crate) fn tensor<'s>(
        &self,
        slot: Slot,
        shape: &'s [usize],
        dtype: DType,
    ) -> DeviceTensor<'s> {
        let (ptr, bytes) = match slot.0.and_then(|i| self.buffers.get(i)) {
            Some(b) => (b.ptr(), b.len()),
            None => (DevicePtr::NULL, 0),
        };
        // SAFETY: `ptr` is null (an empty tensor) or a live allocation of this run of `bytes`
        // bytes, freed only after the run's stream is synchronized.
        unsafe { DeviceTensor::from_raw(ptr, bytes, shape, dtype) }
    }

    /// Waits for every launch of the run (a kernel failure is reported here).
    pub(crate) fn sync(&mut self) -> Result<()> {
        self.synced = true;
        self.stream.synchronize()
    }

    /// Copies a slot into `out` (after [`HostRun::sync`]).
    pub(crate) fn download<T: bytemuck::Pod>(&self, slot: Slot, out: &mut [T]) -> Result<()> {
        if !self.synced {
            return Err(Error::option(
                "download",
                "internal: a device buffer was read before its stream was synchronized",
            ));
        }
        match slot.0.and_then(|i| self.buffers.get(i)) {
            Some(b) => b.download(out),
            None if out.is_empty() => Ok(()),
            None => Err(Error::shape("download", "an empty output", &[out.len()])),
        }
    }
}

impl Drop for HostRun<'_> {
    fn drop(&mut self) {
        if !self.synced {
            let _ = self.stream.synchronize();
        }
    }
}
