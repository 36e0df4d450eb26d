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

/// Every first deploy starts its functions together on an empty database: each process must find out
/// what to apply only once it holds the write lock, so one applies the migrations and the others
/// find nothing left, instead of replaying them ("table staff already exists").
#[test]
fn functions_starting_together_on_a_fresh_database_all_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::hosted::sqld().map(|bin| testkit::sqld::Sqld::start(&bin).unwrap());
    let mut env: Vec<(&str, String)> =
        vec![("PANELOPS_SECRET_KEY", shared::crypto::SecretKey::generate().to_base64())];
    match &server {
        Some(s) => env.extend([("DATABASE_URL", s.url()), ("DATABASE_AUTH_TOKEN", s.token.clone())]),
        None => env.push(("DATABASE_URL", dir.path().join("fresh.db").display().to_string())),
    }
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_panelops"))
                .arg("migrate")
                .envs(env.clone())
                .env("PANELOPS_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "a process failed to start: {text}");
        applied.push(text);
    }
    let total = shared::db::MIGRATIONS.len();
    assert_eq!(
        applied.iter().filter(|t| t.contains(&format!("migrations applied: {total}"))).count(),
        1,
        "one process applies them all: {applied:?}"
    );
    assert_eq!(applied.iter().filter(|t| t.contains("migrations applied: 0")).count(), 3, "{applied:?}");
}
