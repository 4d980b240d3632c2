//! A safetensors file as `op` and `verify` read it: parsed, every tensor typed as its dtype,
//! serialized again; a file that parses must round-trip.
#![no_main]

use ascend_kernels::io::{serialize, TensorFile};
use ascend_kernels::DType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ascend_kernels_fuzz::init();
    let file = match TensorFile::parse("input.safetensors", data) {
        Ok(f) => f,
        Err(e) => return ascend_kernels_fuzz::assert_one_line(&e.to_string()),
    };
    for (name, raw) in &file.tensors {
        let typed = match raw.dtype {
            DType::F32 => raw.to_tensor::<f32>(name).map(|_| ()),
            DType::BF16 => raw.to_tensor::<half::bf16>(name).map(|_| ()),
            DType::F16 => raw.to_tensor::<half::f16>(name).map(|_| ()),
            DType::I64 => raw.to_tensor::<i64>(name).map(|_| ()),
            DType::I32 => raw.to_tensor::<i32>(name).map(|_| ()),
            DType::U8 | DType::F8E4M3 | DType::F8E5M2 | DType::F8E8M0 => {
                raw.to_tensor_as::<u8>(name, raw.dtype).map(|_| ())
            }
            _ => Ok(()),
        };
        if let Err(e) = typed {
            ascend_kernels_fuzz::assert_one_line(&e.to_string());
        }
        // A wrong dtype is an error, never a panic.
        let _ = raw.to_tensor::<f32>(name);
    }
    let tensors: Vec<_> = file.tensors.clone().into_iter().collect();
    let bytes = serialize(&tensors, &file.metadata).expect("a parsed file serializes");
    let again = TensorFile::parse("again", &bytes).expect("a serialized file parses");
    assert_eq!(again.tensors, file.tensors);
});
