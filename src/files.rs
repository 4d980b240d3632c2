//! Reading files that come from outside: only regular files (never a FIFO, a device, a socket
//! or a directory, which could block forever or never end), opened without blocking, and read
//! into memory only after their size is held to the [budget](crate::budget::Budget). A
//! checkpoint directory ([`ModelDir`]) additionally gives only files that lie inside it: a
//! symbolic link is followed only when its target stays inside the directory.

use crate::budget::Budget;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file (following symbolic links), without
/// blocking on a FIFO; returns the file and its length.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO opened for reading would block until a writer appears: don't wait. Regular
        // files ignore the flag.
        options.custom_flags(libc::O_NONBLOCK);
    }
    #[cfg(not(target_os = "linux"))]
    {
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
        if !meta.is_file() {
            return Err(not_regular(path, kind_of(&meta.file_type())));
        }
    }
    let file = options.open(path).map_err(|e| io_err(path, e))?;
    let meta = file.metadata().map_err(|e| io_err(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, kind_of(&meta.file_type())));
    }
    Ok((file, meta.len()))
}

fn not_regular(path: &Path, kind: &str) -> Error {
    Error::Format {
        path: path.display().to_string(),
        reason: format!("is {kind}, not a regular file"),
    }
}

/// Reads a regular file whole, after holding its size to the budget in force.
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let shown = path.display().to_string();
    Budget::current().plan(&shown).bytes("its contents", len)?;
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while read is cut at the length it had when opened.
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(path, e))?;
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path) -> Result<String> {
    String::from_utf8(read_regular(path)?).map_err(|_| Error::Format {
        path: path.display().to_string(),
        reason: "not UTF-8 text".into(),
    })
}

/// A directory whose files are read (a checkpoint): names are plain file names, and a file is
/// read only if it is a regular file inside the directory (a symbolic link only if its target
/// is inside too).
#[derive(Clone, Debug)]
pub struct ModelDir {
    /// The directory as given (for messages and joined paths).
    dir: PathBuf,
    /// Its canonical form (for the containment check).
    root: PathBuf,
}

/// An entry of a [`ModelDir`] listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name.
    pub name: String,
    /// True for a regular file or a symbolic link (resolved only when read).
    pub file_like: bool,
}

impl ModelDir {
    /// Opens `dir`, which must be a directory.
    pub fn open(dir: &Path) -> Result<Self> {
        let root = dir.canonicalize().map_err(|e| io_err(dir, e))?;
        if !root.is_dir() {
            return Err(Error::Format {
                path: dir.display().to_string(),
                reason: "is not a directory".into(),
            });
        }
        Ok(ModelDir {
            dir: dir.to_path_buf(),
            root,
        })
    }

    /// The directory as given.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `dir/name` (no check).
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The entries with UTF-8 names, sorted by name.
    pub fn entries(&self) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(|e| io_err(&self.dir, e))? {
            let e = e.map_err(|e| io_err(&self.dir, e))?;
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let t = e.file_type().map_err(|err| io_err(&e.path(), err))?;
            out.push(DirEntry {
                name,
                file_like: t.is_file() || t.is_symlink(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// True when `name` exists in the directory (as anything, a dangling link included).
    pub fn contains(&self, name: &str) -> bool {
        std::fs::symlink_metadata(self.dir.join(name)).is_ok()
    }

    /// The checked path of file `name`: a plain name, a regular file, inside the directory.
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains('/')
            && !name.contains('\\');
        if !plain {
            return Err(Error::Format {
                path: path.display().to_string(),
                reason: format!("`{name}` is not a file name in {}", self.dir.display()),
            });
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io_err(&path, e))?;
        if meta.file_type().is_symlink() {
            let target = path.canonicalize().map_err(|e| io_err(&path, e))?;
            if !target.starts_with(&self.root) {
                return Err(Error::Format {
                    path: path.display().to_string(),
                    reason: format!(
                        "is a symbolic link to {}, outside the directory {} (only files inside \
                         it are read; copy the files in, e.g. `cp -L`)",
                        target.display(),
                        self.dir.display()
                    ),
                });
            }
            let meta = std::fs::metadata(&target).map_err(|e| io_err(&path, e))?;
            if !meta.is_file() {
                return Err(not_regular(&path, kind_of(&meta.file_type())));
            }
        } else if !meta.is_file() {
            return Err(not_regular(&path, kind_of(&meta.file_type())));
        }
        Ok(path)
    }

    /// Opens file `name` ([`ModelDir::file`], then [`open_regular`]).
    pub fn open_file(&self, name: &str) -> Result<(File, u64, PathBuf)> {
        let path = self.file(name)?;
        let (f, len) = open_regular(&path)?;
        Ok((f, len, path))
    }

    /// Reads file `name` whole ([`ModelDir::file`], then [`read_regular`]).
    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        read_regular(&self.file(name)?)
    }

    /// Reads file `name` as UTF-8 text.
    pub fn read_text(&self, name: &str) -> Result<String> {
        read_regular_text(&self.file(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_devices_and_escaping_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ok.json"), b"{}").unwrap();
        std::fs::write(outside.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("leak")).unwrap();
        std::os::unix::fs::symlink("ok.json", dir.path().join("alias.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

        let m = ModelDir::open(dir.path()).unwrap();
        assert_eq!(m.read("ok.json").unwrap(), b"{}");
        assert_eq!(m.read("alias.json").unwrap(), b"{}");
        for (name, want) in [
            ("leak", "outside the directory"),
            ("zero", "outside the directory"),
            ("fifo", "a FIFO"),
            ("../x", "not a file name"),
        ] {
            let e = m.read(name).unwrap_err().to_string();
            assert!(e.contains(want), "{name}: {e}");
        }
        // Outside a ModelDir too, a FIFO or a device is refused at once (never blocks).
        assert!(read_regular(&fifo)
            .unwrap_err()
            .to_string()
            .contains("FIFO"));
        assert!(read_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string()
            .contains("a device"));
    }

    #[test]
    fn reads_are_held_to_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let e = Budget::new(1000, 1000)
            .scoped(|| read_regular(&path))
            .unwrap_err();
        assert!(matches!(e, Error::ResourceLimit { .. }), "{e}");
        assert_eq!(read_regular(&path).unwrap().len(), 4096);
    }
}
