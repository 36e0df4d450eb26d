//! The local database and its folder belong to the running user alone (0600 / 0700), like
//! `secret.key`: they hold customer emails, password hashes and each session's CSRF token.

use std::io;
use std::path::Path;

use crate::error::{AppError, AppResult};

/// What SQLite (and libsql's replica) keep beside a database file.
const COMPANIONS: [&str; 4] = ["-wal", "-shm", "-journal", "-info"];

/// Before a local database (or replica) is opened: its folder private, the file created empty 0600
/// if absent (SQLite gives `-wal` and `-shm` the mode of the database file, so they follow), and an
/// existing file and its companions made 0600. A remote database (`None`) has no local file.
pub fn secure_database(path: Option<&Path>) -> AppResult<()> {
    let Some(path) = path else { return Ok(()) };
    let fail = |e: io::Error| AppError::Config(format!("cannot secure the database {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        private_dir(dir, path).map_err(fail)?;
    }
    create_private(path).map_err(fail)?;
    for file in std::iter::once(path.to_path_buf())
        .chain(COMPANIONS.iter().map(|s| path.with_file_name(format!("{}{s}", file_name(path)))))
    {
        match restrict(&file, 0o600) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other.map_err(fail)?,
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents 0700; an existing one is left as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `dir` 0700. An existing folder is made 0700 only when it holds nothing but this
/// database's files and the secret key: anything else means it is shared (a home, `/tmp`), and it is
/// left as it is.
fn private_dir(dir: &Path, database: &Path) -> io::Result<()> {
    if !dir.exists() {
        return create_private_dir(dir);
    }
    let db = file_name(database);
    let ours = |name: &str| {
        name == "secret.key" || name == db || COMPANIONS.iter().any(|s| name == format!("{db}{s}"))
    };
    for entry in std::fs::read_dir(dir)? {
        if !ours(&entry?.file_name().to_string_lossy()) {
            return Ok(());
        }
    }
    restrict(dir, 0o700)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Creates an empty file 0600 unless it exists.
fn create_private(path: &Path) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))
}

#[cfg(not(unix))]
fn restrict(path: &Path, _mode: u32) -> io::Result<()> {
    std::fs::metadata(path).map(drop)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn chmod(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn a_new_database_and_its_folder_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("data/nested/panelops.db");
        secure_database(Some(&db)).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "an empty file SQLite then fills");
        assert_eq!(mode(&tmp.path().join("data/nested")), 0o700);
        assert_eq!(mode(&tmp.path().join("data")), 0o700);
    }

    #[test]
    fn an_existing_install_is_tightened_but_a_shared_folder_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let db = data.join("panelops.db");
        for f in ["panelops.db", "panelops.db-wal", "panelops.db-shm", "secret.key"] {
            std::fs::write(data.join(f), b"").unwrap();
            chmod(&data.join(f), 0o644);
        }
        chmod(&data, 0o755);
        secure_database(Some(&db)).unwrap();
        assert_eq!(mode(&data), 0o700);
        for f in ["panelops.db", "panelops.db-wal", "panelops.db-shm"] {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
        // A folder holding other things is not ours to close; the database in it still is.
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::write(shared.join("notes.txt"), b"").unwrap();
        chmod(&shared, 0o755);
        secure_database(Some(&shared.join("p.db"))).unwrap();
        assert_eq!(mode(&shared), 0o755);
        assert_eq!(mode(&shared.join("p.db")), 0o600);
    }
}
