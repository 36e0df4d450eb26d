use crate::helpers::TestApp;

#[tokio::test]
async fn a_fresh_database_is_migrated_once() {
    let app = TestApp::new().await;
    assert_eq!(shared::db::pending_migrations(&app.state.db).await.unwrap(), Vec::<i64>::new());
    assert_eq!(shared::db::migrate(&app.state.db).await.unwrap(), 0, "a second run applies nothing");
    let tables = app
        .scalar("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN ('staff','sessions','panels','activity_log','staff_panels','login_failures')")
        .await;
    assert_eq!(tables, 6);
}

#[tokio::test]
async fn refuses_a_schema_newer_than_the_code() {
    let app = TestApp::new().await;
    app.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").await;
    let err = shared::db::migrate(&app.state.db).await.unwrap_err();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[tokio::test]
async fn local_files_use_wal() {
    let app = TestApp::new().await;
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn.query("PRAGMA journal_mode", ()).await.unwrap();
    let mode: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    let mut rows = conn.query("PRAGMA foreign_keys", ()).await.unwrap();
    assert_eq!(rows.next().await.unwrap().unwrap().get::<i64>(0).unwrap(), 1);
}

/// A statement kept prepared on a pooled connection must not keep its read open after its rows are
/// dropped half-read: the connection's next read would see an old snapshot and its next write fail.
#[tokio::test]
async fn cached_statements_release_their_read_when_dropped() {
    let app = TestApp::new().await;
    app.exec("CREATE TABLE t (n INTEGER)").await;
    app.exec("INSERT INTO t VALUES (1), (2)").await;
    async fn count(conn: &shared::db::Conn) -> i64 {
        let mut rows = conn.query("SELECT COUNT(*) FROM t", ()).await.unwrap();
        rows.next().await.unwrap().unwrap().get::<i64>(0).unwrap()
    }
    let a = app.state.db.connect().await.unwrap();
    let b = app.state.db.connect().await.unwrap();
    for expected in [3, 4] {
        let mut rows = a.query_cached("SELECT n FROM t ORDER BY n", ()).await.unwrap();
        assert_eq!(rows.next().await.unwrap().unwrap().get::<i64>(0).unwrap(), 1);
        drop(rows);
        b.execute("INSERT INTO t (n) VALUES (9)", ()).await.unwrap();
        assert_eq!(count(&a).await, expected, "a fresh snapshot after a half-read cached query");
    }
    let mut rows = a.query_cached("SELECT n FROM t ORDER BY n", ()).await.unwrap();
    assert!(rows.next().await.unwrap().is_some());
    drop(rows);
    a.execute("INSERT INTO t (n) VALUES (10)", ()).await.unwrap();
    assert_eq!(count(&b).await, 5);
}
