//! Writing files that hold secrets or personal data: identities, tokens, keys, and a
//! caseworker's decrypted submissions; and noticing that a file the server reads has
//! changed.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What changes when a file is written: its size and modification time (0 and none
/// for a file that cannot be read).
pub type Stamp = (u64, Option<std::time::SystemTime>);

pub fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    (size, meta.and_then(|m| m.modified().ok()))
}

/// Creates a folder (and those above it) that only its owner can open (mode 0700).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.recursive(true).create(path)
}

/// Writes a file readable by its owner only (mode 0600), atomically: a temporary file
/// beside it (`.NAME.partial`, a name no other file of ours has, as none starts with a
/// dot) is written, synced and renamed over the target.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (tmp, mut file) = private_partial(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The empty temporary file (mode 0600) that becomes `path` once complete, for a
/// private file that something else fills (such as SQLite's `VACUUM INTO`); then
/// [`finish_private`].
pub fn private_partial(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&tmp)?;
    Ok((tmp, file))
}

/// Syncs a filled temporary from [`private_partial`] and renames it over `path`.
pub fn finish_private(tmp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::File::open(tmp)?.sync_all()?;
    std::fs::rename(tmp, path)
}
