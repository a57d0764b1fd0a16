//! Files written whole or not at all: a temporary file beside the target, written and synced,
//! then renamed over it (and the directory synced), so a reader, or a simulator restarted after
//! a `kill -9`, sees the old file or the new one, never half of one.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of the directory).
///
/// The temporary file has an unpredictable name and is created new (`O_EXCL`: a file or a
/// symbolic link planted at that name is never opened or followed), readable by its owner only
/// (Unix mode `0600`), so the file renamed over `path` is always the simulator's own. A failed
/// write removes it: no temporary file is left behind.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_and_keep(path, bytes).map(drop)
}

/// [`write`], and the file written, open for more writing (appending: its cursor is at its
/// end).
pub(crate) fn write_and_keep(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::File> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // `tempfile` creates with O_CREAT|O_EXCL and mode 0600, and removes the file when dropped.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .rand_bytes(12)
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    let file = temp.persist(path).map_err(|e| e.error)?;
    // Makes the rename itself durable; a platform that cannot open a directory skips it.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::write;

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("buzzin-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A directory at the target: the rename fails.
        let target = dir.join("taken");
        std::fs::create_dir_all(target.join("inside")).unwrap();
        assert!(write(&target, b"{}").is_err());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("taken")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
