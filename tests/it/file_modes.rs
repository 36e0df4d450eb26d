//! The database, its -wal and -shm and their folder are readable by the running user alone: they
//! hold customer emails, password hashes and each session's CSRF token.

#[cfg(unix)]
#[tokio::test]
async fn the_database_files_and_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;

    use shared::auth::Role;
    use shared::config::Config;
    use shared::crypto::SecretKey;
    use shared::AppState;

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let db = data.join("panelops.db");
    let state = AppState::init(Config::local(&db, SecretKey::generate())).await.unwrap();
    // A write, so the write-ahead log and its index exist while the database is open.
    let new = shared::auth::staff::NewStaff {
        username: "owner1",
        password: crate::helpers::STRONG,
        role: Role::Owner,
        all_panels: true,
        panels: &[],
        only_if_first: false,
    };
    shared::auth::staff::create(&state.db, new).await.unwrap();
    assert_eq!(mode(&data), 0o700, "data/");
    for name in ["panelops.db", "panelops.db-wal", "panelops.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
}
