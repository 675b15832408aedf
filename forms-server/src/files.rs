//! Writing files that hold secrets or personal data: identities, tokens, keys, and a
//! caseworker's decrypted submissions.

use std::io::Write;
use std::path::Path;

/// Writes a file readable by its owner only (mode 0600), atomically: a temporary file
/// beside it is written, synced and renamed over the target.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
