//! The one way `wbs` reads and writes its files (data, sync cursor, config): a file that
//! exists but cannot be read or parsed is an error naming it, never replaced; a write goes
//! to a fresh temporary file in the same directory, is flushed to disk, renamed over the
//! old one and the directory flushed, so that a crash leaves the old file or the new one,
//! never a torn one. Every file is private to its owner (0600): they hold health data or
//! secrets.

use std::io::Write as _;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::Failure;

/// A JSON file's value: `None` if it does not exist; an error naming the file if it exists
/// and cannot be read or parsed as `what` (the file is then left as it is).
pub(crate) fn read_existing<T: DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<Option<T>, Failure> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::new(format!("cannot read {}: {e}", path.display()))),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Failure::new(format!("{} is not {what}: {e}", path.display()))
            .hint("fix or move the file; it was left as it is")
    })
}

/// Replaces `path` with `bytes` durably and atomically, readable by its owner only.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::new(format!("cannot write {}: {e}", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    // A new file with an unpredictable name, created 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".wbs-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    // The rename itself is durable once the directory is.
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_and_private_and_unreadable_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.json");
        write_durably(&path, b"[1]").unwrap();
        write_durably(&path, b"[1,2]").unwrap();
        assert_eq!(
            read_existing::<Vec<i32>>(&path, "a list").unwrap(),
            Some(vec![1, 2])
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        std::fs::write(&path, b"[1,").unwrap();
        let err = read_existing::<Vec<i32>>(&path, "a list").unwrap_err();
        assert!(err.what.contains("data.json is not a list"), "{}", err.what);
        assert_eq!(std::fs::read(&path).unwrap(), b"[1,");
        assert_eq!(
            read_existing::<Vec<i32>>(&dir.path().join("none"), "x").unwrap(),
            None
        );
    }
}
