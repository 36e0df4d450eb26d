//! Competitor panels: change-only catalogue history, sync faults that keep the last good catalogue,
//! matching suggestions on real-looking names, pages by role and panel scope.

use axum::http::StatusCode;
use shared::auth::{PanelScope, Role};
use shared::domain::competitors::{self, catalog, matching, CompetitorInput};
use shared::domain::sync::Resource;
use shared::pp::rows::{ServiceRow, ServiceTerms};
use testkit::rival::{Rival, EPOCH_SECS};

use crate::helpers::TestApp;
use crate::sync_support::{self, NOW};

type SetFault = fn(&mut testkit::Faults);

fn svc(id: i64, name: &str, rate: i64) -> ServiceRow {
    let terms = ServiceTerms {
        name: name.into(),
        kind: Some("Default".into()),
        category: None,
        rate: Some(rate),
        min: Some(10),
        max: Some(1000),
        refill: Some(false),
        cancel: Some(true),
    };
    ServiceRow { id, terms, dripfeed: None }
}

async fn add_competitor(app: &TestApp, panel: i64, name: &str, url: &str, key: &str) -> i64 {
    let input = CompetitorInput {
        panel_id: panel,
        name: name.into(),
        base_url: url.into(),
        api_key: Some(key.into()),
        enabled: true,
    };
    competitors::create(&app.state.db, &app.state.config.secret_key, &input).await.expect("competitor")
}

async fn snapshot(app: &TestApp, id: i64, at: i64, rows: &[ServiceRow]) -> catalog::SnapshotChanges {
    let conn = app.state.db.connect().await.unwrap();
    catalog::apply_snapshot(&conn, id, at, rows, Vec::new()).await.unwrap().0
}

fn brief(v: &[catalog::Version]) -> Vec<(i64, String, Option<i64>, Option<i64>)> {
    v.iter().map(|v| (v.service_id, v.name.clone(), v.rate, v.max)).collect()
}

fn brief_rows(v: &[ServiceRow]) -> Vec<(i64, String, Option<i64>, Option<i64>)> {
    let mut out: Vec<_> = v.iter().map(|v| (v.id, v.name.clone(), v.rate, v.max)).collect();
    out.sort();
    out
}

#[tokio::test]
async fn snapshots_store_only_changes_and_rebuild_any_past_catalogue() {
    let app = TestApp::new().await;
    let panel = app.add_panel("Main", "https://main.example", None).await;
    let c = add_competitor(&app, panel, "Rival", "https://rival.example", "key-1234").await;
    // 60 syncs of a moving simulated rival, 12 hours apart; keep every catalogue it answered.
    let rival = Rival { seed: 5, t0: NOW };
    let mut seen = Vec::new();
    for e in 0..60 {
        let t = NOW + e * EPOCH_SECS;
        let rows: Vec<ServiceRow> =
            rival.catalogue(t).iter().map(|v| ServiceRow::parse(v).unwrap()).collect();
        snapshot(&app, c, t, &rows).await;
        seen.push((t, rows));
    }
    let stored =
        app.scalar(&format!("SELECT COUNT(*) FROM competitor_services WHERE competitor_id = {c}")).await;
    let naive: usize = seen.iter().map(|(_, r)| r.len()).sum();
    // One row per service state: a service's first listing, and each change after it.
    let mut states = 0;
    for (k, (_, rows)) in seen.iter().enumerate() {
        for r in rows {
            let before = k.checked_sub(1).and_then(|p| seen[p].1.iter().find(|x| x.id == r.id));
            if before.is_none_or(|b| b.rate != r.rate || b.name != r.name) {
                states += 1;
            }
        }
    }
    assert_eq!(stored, states, "only changes are written");
    assert!(stored < (naive / 3) as i64, "{stored} rows for {naive} listed services");
    // Any past moment, including between syncs, reads back exactly what the rival listed then.
    for (k, (t, rows)) in seen.iter().enumerate() {
        for at in [*t, *t + EPOCH_SECS / 2] {
            let got = catalog::as_of(&app.state.db, c, at).await.unwrap();
            assert_eq!(brief(&got), brief_rows(rows), "catalogue of sync {k} at {at}");
        }
    }
    assert!(
        catalog::as_of(&app.state.db, c, NOW - 1).await.unwrap().is_empty(),
        "nothing before the first sync"
    );
    // A repeat of the same catalogue writes nothing.
    let last = &seen.last().unwrap().1;
    let ch = snapshot(&app, c, NOW + 61 * EPOCH_SECS, last).await;
    assert_eq!(ch.rows_written(), 0);
    // Appear, change, disappear, reappear: each is one change.
    let c2 = add_competitor(&app, panel, "Small", "https://small.example", "key-5678").await;
    let a = svc(1, "TikTok Likes [R30]", 1_000_000);
    let b = svc(2, "Instagram Followers", 2_000_000);
    assert_eq!(snapshot(&app, c2, 100, &[a.clone(), b.clone()]).await.added, 2);
    let mut a2 = a.clone();
    a2.terms.rate = Some(1_200_000);
    let ch = snapshot(&app, c2, 200, &[a2.clone()]).await;
    assert_eq!((ch.changed, ch.removed, ch.added), (1, 1, 0));
    let mut a3 = a2.clone();
    a3.terms.refill = Some(true);
    assert_eq!(
        snapshot(&app, c2, 300, &[a3.clone(), b.clone()]).await,
        catalog::SnapshotChanges { added: 1, changed: 1, removed: 0, unchanged: 0 }
    );
    assert_eq!(
        brief(&catalog::as_of(&app.state.db, c2, 150).await.unwrap()),
        brief_rows(&[a.clone(), b.clone()])
    );
    assert_eq!(brief(&catalog::as_of(&app.state.db, c2, 250).await.unwrap()), brief_rows(&[a2.clone()]));
    let at300 = catalog::as_of(&app.state.db, c2, 300).await.unwrap();
    assert_eq!((at300.len(), at300[0].refill), (2, Some(true)));
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM competitor_services WHERE competitor_id = {c2}")).await,
        5
    );
}

/// A simulated panel of ours plus a simulated rival tracked for it.
async fn rival_setup(app: &TestApp) -> (i64, i64, testkit::SimHandle) {
    let ours = sync_support::sim(31, 200, false).await;
    let panel = sync_support::register(app, &ours).await;
    let rival = sync_support::sim(41, 10, false).await;
    rival.make_rival(41);
    let c = add_competitor(app, panel, "Rival 41", &rival.base_url, &rival.services_key).await;
    (panel, c, rival)
}

async fn sync_competitors(app: &TestApp, panel: i64) -> panelops_sync::RunReport {
    let mut opts = sync_support::until_idle(panel, 0);
    opts.resources = Some(vec![Resource::Competitors]);
    panelops_sync::run_with(&app.state, &opts).await.expect("sync run")
}

#[tokio::test]
async fn a_failing_rival_keeps_its_last_good_catalogue_and_shows_the_error() {
    let app = TestApp::new().await;
    let (panel, c, rival) = rival_setup(&app).await;
    let report = sync_competitors(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    let good = catalog::current(&app.state.db, c).await.unwrap();
    let listed = rival.with(|s| s.rival.unwrap().catalogue(s.data.now)).len();
    assert_eq!(good.len(), listed);
    let row = competitors::get(&app.state.db, c).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.services), ("ok", listed as i64));
    // Every fault persists over all retries of the run.
    let faults: [(&str, SetFault); 4] = [
        ("junk", |f| f.malformed = 10),
        ("error", |f| f.public_error = 10),
        ("500", |f| f.errors_500 = 10),
        ("timeout", |f| {
            f.timeouts = 10;
            f.hang_ms = 3_000
        }),
    ];
    for (what, fault) in faults {
        rival.advance(EPOCH_SECS * 3);
        rival.faults(fault);
        let report = sync_competitors(&app, panel).await;
        assert_eq!(report.errors(), 1, "{what}: {report:?}");
        assert_eq!(
            brief(&catalog::current(&app.state.db, c).await.unwrap()),
            brief(&good),
            "{what}: last good kept"
        );
        let row = competitors::get(&app.state.db, c).await.unwrap().unwrap();
        assert_eq!(row.status, "error", "{what}");
        let err = row.last_error.clone().unwrap_or_default();
        assert!(!err.is_empty(), "{what}");
        let owner = app.as_role(&format!("o-{what}"), Role::Owner, &[]).await;
        let page = app.get("/competitors", Some(&owner)).await;
        assert!(page.body.contains("Showing the last good catalogue"), "{what}");
        let state =
            shared::domain::sync::get(&app.state.db, panel, Resource::Competitors).await.unwrap().unwrap();
        assert_eq!(state.status.as_str(), "error", "{what}: Settings → Sync shows it");
        assert!(state.message.unwrap_or_default().contains("Rival 41"), "{what}");
        rival.faults(|f| {
            *f = testkit::Faults { rate_limit: false, hang_ms: 15_000, ..Default::default() };
        });
    }
    // Healthy again: the new catalogue is stored, as changes.
    let report = sync_competitors(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    let now_listed = rival.with(|s| s.rival.unwrap().catalogue(s.data.now)).len();
    assert_eq!(catalog::current(&app.state.db, c).await.unwrap().len(), now_listed);
    assert_eq!(competitors::get(&app.state.db, c).await.unwrap().unwrap().status, "ok");
}

#[tokio::test]
async fn suggestions_on_real_names_and_confirmed_matches() {
    let app = TestApp::new().await;
    let (panel, c, _rival) = rival_setup(&app).await;
    sync_support::sync_idle(&app, panel).await;
    let suggestions = matching::suggest(&app.state.db, panel).await.unwrap();
    let of = |id: i64| suggestions.iter().find(|s| s.service_id == id).unwrap();
    // Our "Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start" (id 100) and the rival's
    // "TikTok Likes [Max 1M] [Speed: 15K/Day] [Refill: 30 Days] [Instant]" (id 500), when it sells it.
    let rival_ids: Vec<i64> =
        catalog::current(&app.state.db, c).await.unwrap().iter().map(|v| v.service_id).collect();
    let mut checked = 0;
    for (ours, theirs) in [(100, 500), (106, 506), (112, 512), (116, 516), (118, 518)] {
        if !rival_ids.contains(&theirs) {
            continue;
        }
        let top = &of(ours).candidates[0];
        assert_eq!(top.rival_service_id, theirs, "best suggestion for {}", of(ours).name);
        assert!(top.confidence >= 70, "{} {}", of(ours).name, top.confidence);
        checked += 1;
    }
    assert!(checked >= 2, "the rival sells enough of the same services");
    // Never across platforms or types.
    for s in &suggestions {
        let f = matching::features(&s.name, None);
        for cand in &s.candidates {
            let g = matching::features(&cand.rival_name, None);
            assert!(
                f.platform.is_none() || g.platform.is_none() || f.platform == g.platform,
                "{} / {}",
                s.name,
                cand.rival_name
            );
            assert!(
                f.kind.is_none() || g.kind.is_none() || f.kind == g.kind,
                "{} / {}",
                s.name,
                cand.rival_name
            );
        }
    }
    // Real names from the reference file.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/service-names.tsv"))
            .unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let tiktok = names.iter().find(|n| n.to_lowercase().contains("tiktok likes")).unwrap();
    let insta = names.iter().find(|n| n.to_lowercase().contains("instagram followers")).unwrap();
    let same = matching::confidence(
        &matching::features(tiktok, None),
        &matching::features("TikTok Likes [15K/Day] [R30]", None),
    );
    assert!(same.unwrap() >= matching::MIN_CONFIDENCE);
    assert_eq!(
        matching::confidence(&matching::features(tiktok, None), &matching::features(insta, None)),
        None
    );
    // Confirm through the page (admin), reject another; the rejected one is not suggested again.
    let admin = app.as_role("admin1", Role::Admin, &[panel]).await;
    let first = of(100).candidates.first().cloned().unwrap();
    let res = app
        .post(
            "/competitors/matches/decide",
            Some(&admin),
            &[
                ("service_id", "100"),
                ("competitor_id", &c.to_string()),
                ("rival_service_id", &first.rival_service_id.to_string()),
                ("decision", "confirm"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let other = suggestions.iter().find(|s| s.service_id != 100 && !s.candidates.is_empty()).unwrap();
    let cand = &other.candidates[0];
    app.post(
        "/competitors/matches/decide",
        Some(&admin),
        &[
            ("service_id", &other.service_id.to_string()),
            ("competitor_id", &c.to_string()),
            ("rival_service_id", &cand.rival_service_id.to_string()),
            ("decision", "reject"),
        ],
    )
    .await;
    let again = matching::suggest(&app.state.db, panel).await.unwrap();
    let s100 = again.iter().find(|s| s.service_id == 100).unwrap();
    assert_eq!(s100.candidates.len(), 1);
    assert_eq!(s100.candidates[0].status, "confirmed");
    let so = again.iter().find(|s| s.service_id == other.service_id).unwrap();
    assert!(!so.candidates.iter().any(|x| x.rival_service_id == cand.rival_service_id));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'competitor.match_%'").await,
        2
    );
    // A viewer sees the page but may not decide.
    let viewer = app.as_role("viewer1", Role::Viewer, &[panel]).await;
    let page = app.get("/competitors/matches", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("confirmed") && !page.body.contains("Reject</button>"));
    let res = app.post("/competitors/matches/decide", Some(&viewer), &[("decision", "undo")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn competitor_pages_by_role_and_panel_scope() {
    let app = TestApp::new().await;
    let a = app.add_panel("Alpha", "https://alpha.example", None).await;
    let b = app.add_panel("Beta", "https://beta.example", None).await;
    let admin = app.as_role("admin-a", Role::Admin, &[a]).await;
    // Add through the form; the key is never rendered back, only its last four.
    let res = app
        .post(
            "/competitors",
            Some(&admin),
            &[
                ("panel_id", &a.to_string()),
                ("name", "Rival A"),
                ("base_url", "rival-a.example/api/v2"),
                ("api_key", "secret-key-9876"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let list = app.follow(&res, Some(&admin)).await;
    assert!(list.body.contains("Rival A") && list.body.contains("https://rival-a.example"));
    assert!(!list.body.contains("secret-key-9876"));
    let edit = app.get("/competitors/edit?id=1", Some(&admin)).await;
    assert!(edit.body.contains("•••• 9876") && !edit.body.contains("secret-key-9876"));
    let stored: String = {
        let conn = app.state.db.connect().await.unwrap();
        let mut rows = conn.query("SELECT api_key_enc FROM competitors", ()).await.unwrap();
        rows.next().await.unwrap().unwrap().get(0).unwrap()
    };
    assert!(stored.starts_with("v1.") && !stored.contains("9876"), "encrypted at rest");
    // Bad input is a 400 with words; a panel outside the scope is refused.
    let bad = app
        .post(
            "/competitors",
            Some(&admin),
            &[("panel_id", &a.to_string()), ("name", ""), ("base_url", "ftp://x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter a customer API key"));
    let other = app
        .post(
            "/competitors",
            Some(&admin),
            &[("panel_id", &b.to_string()), ("name", "X"), ("base_url", "x.example"), ("api_key", "k-1111")],
        )
        .await;
    assert!(other.status == StatusCode::FORBIDDEN || other.status == StatusCode::BAD_REQUEST);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM competitors WHERE panel_id = {b}")).await, 0);
    // Owner adds one for panel B; admin of A neither sees nor touches it.
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    app.post(
        "/competitors",
        Some(&owner),
        &[
            ("panel_id", &b.to_string()),
            ("name", "Rival B"),
            ("base_url", "rival-b.example"),
            ("api_key", "k-2222"),
            ("enabled", "1"),
        ],
    )
    .await;
    let list = app.get("/competitors", Some(&admin)).await;
    assert!(
        list.body.contains("Rival A") && !list.body.contains("Rival B") && !list.body.contains("rival-b")
    );
    assert_eq!(app.get("/competitors/edit?id=2", Some(&admin)).await.status, StatusCode::NOT_FOUND);
    // An id that is not a number is refused, not taken for "no id".
    let bad = app.get("/competitors/edit?id=abc", Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("id must be a competitor's number."));
    let bad = app.get("/competitors/profiles/edit?id=abc", Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.post("/competitors/2/enabled", Some(&admin), &[("enabled", "0")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.post("/competitors/2/sync", Some(&admin), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/competitors?panel=2", Some(&admin)).await.status, StatusCode::FORBIDDEN);
    // Its key never follows a new address unless typed again.
    let moved = app
        .post(
            "/competitors/1",
            Some(&admin),
            &[("name", "Rival A"), ("base_url", "collector.example"), ("enabled", "1")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST);
    assert!(moved.body.contains("enter it again"), "{}", moved.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM competitors WHERE base_url LIKE '%collector%'").await, 0);
    // Disable, sync now, and a viewer who only reads.
    app.post("/competitors/1/enabled", Some(&admin), &[("enabled", "0")]).await;
    assert_eq!(app.scalar("SELECT enabled FROM competitors WHERE id = 1").await, 0);
    app.post("/competitors/1/enabled", Some(&admin), &[("enabled", "1")]).await;
    let res = app.post("/competitors/1/sync", Some(&admin), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        shared::domain::sync::get(&app.state.db, a, Resource::Competitors)
            .await
            .unwrap()
            .unwrap()
            .run_requested
    );
    let viewer = app.as_role("viewer-a", Role::Viewer, &[a]).await;
    let page = app.get("/competitors", Some(&viewer)).await;
    assert!(page.body.contains("Rival A") && !page.body.contains("Sync now"));
    assert_eq!(app.post("/competitors/1/sync", Some(&viewer), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/competitors/new", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    // Every write is in the activity log.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action LIKE 'competitor.%'").await, 5);
    // Profiles: CRUD, scoped the same way.
    let res = app
        .post(
            "/competitors/profiles",
            Some(&admin),
            &[
                ("panel_id", &a.to_string()),
                ("name", "Weekly"),
                ("competitor_ids", "1"),
                ("service_ids", "100, 101"),
                ("window_hours", "168"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let bad = app
        .post(
            "/competitors/profiles",
            Some(&admin),
            &[
                ("panel_id", &a.to_string()),
                ("name", "Bad"),
                ("competitor_ids", "2"),
                ("service_ids", "abc"),
                ("window_hours", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not a service id") && bad.body.contains("Tick only competitors"));
    let list = app.get("/competitors/profiles", Some(&viewer)).await;
    assert!(
        list.body.contains("Weekly") && list.body.contains("Rival A") && list.body.contains("2 services")
    );
    app.post(
        "/competitors/profiles",
        Some(&owner),
        &[("panel_id", &b.to_string()), ("name", "Beta profile"), ("window_hours", "24")],
    )
    .await;
    assert!(!app.get("/competitors/profiles", Some(&admin)).await.body.contains("Beta profile"));
    assert_eq!(
        app.post("/competitors/profiles/2/delete", Some(&admin), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    app.post("/competitors/profiles/1", Some(&admin), &[("name", "Daily"), ("window_hours", "24")]).await;
    let p =
        shared::domain::competitors::profiles::list(&app.state.db, &PanelScope::All, Some(a)).await.unwrap();
    assert_eq!((p[0].name.as_str(), p[0].window_hours, p[0].competitor_ids.len()), ("Daily", 24, 0));
    app.post("/competitors/profiles/1/delete", Some(&admin), &[]).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM competitor_profiles").await, 1);
}
