//! The sync engine against the simulated panel over real HTTP and a fresh database file.

use std::time::Duration;

use tracing::instrument::WithSubscriber;

use crate::helpers::TestApp;
use crate::panel_releases::{Releases, CHILD_LOG};
use crate::sync_support::{admin_client, assert_mirrors, register, sim, sync_idle, until_idle};

#[tokio::test]
async fn until_idle_mirrors_every_resource_exactly() {
    let app = TestApp::new().await;
    let sim = sim(1, 3_000, false).await;
    let panel = register(&app, &sim).await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
    // Nothing changed upstream: a second run writes nothing new and still mirrors.
    let again = sync_idle(&app, panel).await;
    assert_eq!(again.errors(), 0);
    assert_mirrors(&app, panel, &sim).await;
    let state =
        shared::domain::sync::list(&app.state.db, &shared::auth::PanelScope::All, Some(panel)).await.unwrap();
    assert!(state.iter().all(|r| r.status.as_str() == "ok" && r.cycle_done_at.is_some()), "{state:?}");
    let orders = state.iter().find(|r| r.resource == shared::domain::sync::Resource::Orders).unwrap();
    assert_eq!(orders.cached as usize, sim.with(|s| s.data.visible_count()) as usize);
    // The next cycle asks only for orders from the newest one seen, not for everything again.
    assert!(
        app.scalar("SELECT json_extract(position, '$.from') FROM sync_state WHERE resource = 'orders'").await
            > 0
    );
}

/// One order listed a year in the future (a garbled row, a panel's clock) is stored, but must not move
/// the orders position past every order still to come.
#[tokio::test]
async fn an_order_dated_in_the_future_does_not_hide_the_orders_after_it() {
    let app = TestApp::new().await;
    let sim = sim(16, 2_000, false).await;
    let odd = sim.with(|s| s.data.order(s.data.visible_count() - 1).id);
    sim.faults(|f| f.future_created_order = Some(odd));
    let panel = register(&app, &sim).await;
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    let from =
        app.scalar("SELECT json_extract(position, '$.from') FROM sync_state WHERE resource = 'orders'").await;
    assert!(from > 0 && from <= crate::sync_support::NOW, "position {from}");
    // A day passes upstream: new orders arrive, and the next cycle fetches them.
    sim.advance(86_400);
    assert_eq!(sync_idle(&app, panel).await.errors(), 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM orders_cache").await,
        sim.with(|s| s.data.visible_count()) as i64,
        "every order, the new ones included"
    );
    assert!(
        app.scalar(&format!("SELECT created FROM orders_cache WHERE id = {odd}")).await > shared::time::now()
    );
}

#[tokio::test]
async fn a_large_panel_mirrors_exactly() {
    let app = TestApp::new().await;
    let sim = sim(2, 120_000, false).await;
    let panel = register(&app, &sim).await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert!(app.scalar("SELECT COUNT(*) FROM orders_cache").await > 100_000);
    assert_mirrors(&app, panel, &sim).await;
    // It caught up without the scattered-key indexes, and put them back as the migrations made them.
    assert_eq!(scattered_indexes(&app).await, migrated_scattered_indexes().await);
}

/// The orders cache's indexes a catch-up leaves off, as they stand (name and SQL).
async fn scattered_indexes(app: &TestApp) -> Vec<String> {
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index'
             AND name IN ('orders_cache_user', 'orders_cache_link', 'orders_cache_external') ORDER BY name",
            (),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().await.unwrap() {
        out.push(r.get::<String>(0).unwrap());
    }
    out
}

async fn migrated_scattered_indexes() -> Vec<String> {
    scattered_indexes(&TestApp::new().await).await
}

/// A catch-up stops part-way in both ways a run stops: its page budget (the run puts the indexes back
/// as it ends) and a kill (they stay off until the next run ends; searches still answer meanwhile).
#[tokio::test]
async fn a_catch_up_cut_short_leaves_the_searches_working_and_the_indexes_come_back() {
    let app = TestApp::new().await;
    let sim = sim(14, 20_000, false).await;
    let panel = register(&app, &sim).await;
    let migrated = migrated_scattered_indexes().await;
    assert_eq!(migrated.len(), 3);
    let catch_up = panelops_sync::RunOptions { catch_up_rows: 2_000, ..until_idle(panel, 0) };
    let budgeted = panelops_sync::RunOptions { until_idle: false, max_pages: 3, ..catch_up.clone() };
    let report = panelops_sync::run_with(&app.state, &budgeted).await.unwrap();
    assert!(
        report
            .resources
            .iter()
            .any(|r| r.resource == "orders" && r.outcome == panelops_sync::Outcome::Partial),
        "{report:?}"
    );
    assert_eq!(scattered_indexes(&app).await, migrated, "a run that stops on its budget puts them back");

    let run = tokio::spawn({
        let (state, opts) = (app.state.clone(), catch_up.clone());
        async move { panelops_sync::run_with(&state, &opts).await }
    });
    let started = std::time::Instant::now();
    while app.scalar("SELECT COUNT(*) FROM orders_cache").await < 8_000 {
        assert!(started.elapsed() < Duration::from_secs(60), "the catch-up did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    run.abort();
    let _ = run.await;
    settle_cancelled_run().await;
    assert!(scattered_indexes(&app).await.is_empty(), "killed mid catch-up, the indexes are still off");
    // Searches by username read the table meanwhile: same answer.
    let owner = app.as_role_of_all_panels("boss", shared::auth::Role::Owner).await;
    let conn = app.state.db.connect().await.unwrap();
    let mut rows = conn
        .query("SELECT user, COUNT(*) FROM orders_cache GROUP BY user ORDER BY 2 LIMIT 1", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    let (user, n): (String, i64) = (row.get(0).unwrap(), row.get(1).unwrap());
    drop(rows);
    let res = app.get(&format!("/orders?q={user}"), Some(&owner)).await;
    assert_eq!(res.body.matches("name=\"sel\"").count() as i64, n.min(50), "search {user}");
    let notice = "catching up in bulk";
    assert!(app.get("/settings/sync", Some(&owner)).await.body.contains(notice), "Settings → Sync says so");

    // Someone pauses the sync meanwhile. While the killed run's hold on the orders lasts, it could be a
    // catch-up in another process (scheduled runs overlap on AWS): the next run leaves the indexes off.
    let paused = shared::domain::sync::EngineSettings { paused: true, ..Default::default() };
    shared::domain::sync::save_engine_settings(&app.state.db, &paused).await.unwrap();
    let paused_run = panelops_sync::RunOptions { panel: Some(panel), ..Default::default() };
    assert!(panelops_sync::run_with(&app.state, &paused_run).await.unwrap().paused);
    assert!(scattered_indexes(&app).await.is_empty(), "an overlapping run keeps a catch-up's indexes off");
    // Once the hold has run out, the next run syncs nothing but gives the indexes back.
    app.exec("UPDATE sync_state SET lease_until = 0").await;
    assert!(panelops_sync::run_with(&app.state, &paused_run).await.unwrap().paused);
    assert_eq!(scattered_indexes(&app).await, migrated);
    assert!(!app.get("/settings/sync", Some(&owner)).await.body.contains(notice));

    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    assert_eq!(scattered_indexes(&app).await, migrated);
    assert_mirrors(&app, panel, &sim).await;
}

#[tokio::test]
async fn orders_changing_upstream_are_updated_within_one_interval() {
    changes_within_one_interval(None).await;
}

/// Small batches: the re-check pass spans dozens of steps, each asking for the next batches ahead.
#[tokio::test]
async fn orders_changing_upstream_are_updated_within_one_interval_in_small_batches() {
    changes_within_one_interval(Some(10)).await;
}

async fn changes_within_one_interval(page_size: Option<i64>) {
    let app = TestApp::new().await;
    let sim = sim(3, 2_000, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let open = app
        .scalar("SELECT COUNT(*) FROM orders_cache WHERE status NOT IN ('completed', 'partial', 'canceled')")
        .await;
    if let Some(n) = page_size {
        assert!(open > 5 * n, "{open} open orders: too few for several batches of {n}");
        app.exec(&format!("UPDATE sync_state SET page_size = {n} WHERE resource = 'orders'")).await;
    }
    let open_before =
        app.scalar("SELECT COUNT(*) FROM orders_cache WHERE status IN ('pending','in_progress')").await;
    // A day passes upstream: orders progress, finish, and new ones arrive.
    sim.advance(86_400);
    // The orders interval elapses (60 s): the due run picks the changes up.
    app.exec("UPDATE sync_state SET cycle_done_at = cycle_done_at - 61, last_fetched_at = last_fetched_at - 61, last_ok_at = last_ok_at - 61").await;
    let report = panelops_sync::run_with(
        &app.state,
        &panelops_sync::RunOptions {
            panel: Some(panel),
            client: crate::sync_support::client(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        report.resources.iter().any(|r| r.resource == "orders" && r.outcome == panelops_sync::Outcome::Ok),
        "{report:?}"
    );
    let open_after =
        app.scalar("SELECT COUNT(*) FROM orders_cache WHERE status IN ('pending','in_progress')").await;
    assert_ne!(open_before, open_after);
    let want = crate::sync_support::expected(&sim);
    let got = crate::sync_support::cached(&app, panel).await;
    assert_eq!(got.orders, want.orders);
}

/// Settings → Sync's "Currently cached" grows with every stored page of a first sync, not at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn currently_cached_follows_a_first_sync_page_by_page() {
    let app = TestApp::new().await;
    let sim = sim(15, 20_000, false).await;
    let panel = register(&app, &sim).await;
    let run = tokio::spawn({
        let (state, opts) = (app.state.clone(), until_idle(panel, 0));
        async move { panelops_sync::run_with(&state, &opts).await }
    });
    let (mut mid_run, mut checks) = (0, 0);
    while !run.is_finished() {
        // One statement: one snapshot of both (no row yet before the run's first moments).
        let conn = app.state.db.connect().await.unwrap();
        let mut rows = conn
            .query(
                "SELECT COALESCE((SELECT cached FROM sync_state WHERE resource = 'orders'), 0), (SELECT COUNT(*) FROM orders_cache),
                        COALESCE((SELECT cached FROM sync_state WHERE resource = 'ticket_messages'), 0), (SELECT COUNT(*) FROM ticket_messages)",
                (),
            )
            .await
            .unwrap();
        let r = rows.next().await.unwrap().unwrap();
        let (orders, held, messages, held_messages): (i64, i64, i64, i64) =
            (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap(), r.get(3).unwrap());
        assert_eq!(orders, held, "orders shown as cached vs stored");
        assert!(messages <= held_messages, "{messages} messages shown, {held_messages} stored");
        checks += 1;
        if held > 0 && !run.is_finished() {
            mid_run += 1;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.errors(), 0, "{report:?}");
    assert!(mid_run > 0, "no look during the sync ({checks} looks)");
    assert_eq!(
        app.scalar("SELECT cached FROM sync_state WHERE resource = 'ticket_messages'").await,
        app.scalar("SELECT COUNT(*) FROM ticket_messages").await
    );
    assert_mirrors(&app, panel, &sim).await;
}

/// A cancelled run's resource tasks are told to stop, but a task is only dropped when the runtime next
/// gets to it: until then one woken by its page's answer may still store that page (and renew its
/// hold). A killed process has no such tail; here, give the runtime a moment to drop them.
async fn settle_cancelled_run() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn an_interrupted_run_resumes_to_the_same_result() {
    let app = TestApp::new().await;
    let sim = sim(4, 20_000, false).await;
    let panel = register(&app, &sim).await;
    let opts = until_idle(panel, 0);
    // Cancel the run at several instants, mid-page included; each time the next run continues.
    for ms in [30u64, 80, 150, 250] {
        let _ =
            tokio::time::timeout(Duration::from_millis(ms), panelops_sync::run_with(&app.state, &opts)).await;
        settle_cancelled_run().await;
        // A cancelled run leaves its hold, which lasts minutes past its last page, not an hour…
        let held =
            app.scalar("SELECT COALESCE(MAX(lease_until), 0) FROM sync_state").await - shared::time::now();
        assert!(held <= panelops_sync::LEASE_HEARTBEAT_SECS + 5, "held for {held} s");
        // …and an expired hold is taken over.
        app.exec("UPDATE sync_state SET lease_until = 0").await;
    }
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors() + report.busy(), 0, "{report:?}");
    assert_mirrors(&app, panel, &sim).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM (SELECT panel_id, id FROM orders_cache GROUP BY panel_id, id HAVING COUNT(*) > 1)").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_process_resumes_to_the_same_result() {
    let app = TestApp::new().await;
    let sim = sim(5, 30_000, false).await;
    register(&app, &sim).await;
    let env = app.db_env();
    let run = move |kill_after: Option<u64>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_panelops"));
        cmd.args(["sync", "--until-idle"])
            .envs(env.clone())
            .env("PANELOPS_LOG", "error")
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(ms) = kill_after {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = child.kill();
        }
        child.wait_with_output().unwrap()
    };
    // The simulator is served by this runtime: run the process from a blocking thread.
    let first = run.clone();
    tokio::task::spawn_blocking(move || first(Some(400))).await.unwrap();
    app.exec("UPDATE sync_state SET lease_until = 0").await;
    let out = tokio::task::spawn_blocking(move || run(None)).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("orders") && text.contains("ok"), "{text}");
    let panel = app.scalar("SELECT id FROM panels").await;
    assert_mirrors(&app, panel, &sim).await;
}

/// The limit is checked on what the throttle controls, the moments it releases requests: the
/// simulator's arrival times also carry how late a busy machine ran its handlers, which no client
/// can control (the panel answers 429 to a burst that bunched on the way, and the sync retries).
#[tokio::test]
async fn at_most_five_requests_per_second_under_concurrent_resources() {
    let app = TestApp::new().await;
    let sim = sim(6, 6_000, true).await;
    let panel = register(&app, &sim).await;
    let releases = Releases::default();
    // This test's runtime runs every task of the sync on this thread.
    let logging = tracing::dispatcher::set_default(&releases.dispatch());
    let report = panelops_sync::run_with(&app.state, &until_idle(panel, 5)).await.unwrap();
    drop(logging);
    assert_eq!(report.errors(), 0, "{report:?}");
    assert!(releases.count() > 20, "{} requests", releases.count());
    let peak = releases.peak_per_second();
    assert!(peak <= 5, "{peak} requests were released in one second");
    assert_mirrors(&app, panel, &sim).await;
}

/// On AWS the sync and the console are separate processes: here a `panelops sync` process and this
/// one (standing for the console sending ticket reads) call the same panel at once. Checked on the
/// moments each throttle released a request, as above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_processes_share_a_panels_five_requests_per_second() {
    let app = TestApp::new().await;
    let sim = sim(8, 3_000, true).await;
    let panel = register(&app, &sim).await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_panelops"));
    cmd.args(["sync", "--until-idle"])
        .envs(app.db_env())
        .env("PANELOPS_LOG", CHILD_LOG)
        .stdout(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    while sim.request_count() < 3 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let opts = crate::sync_support::client(5).shared_through(&app.state.db);
    let console = shared::pp::AdminClient::new(
        &sim.base_url,
        shared::crypto::Secret::new(sim.admin_key.clone()),
        &opts,
    )
    .unwrap();
    let ticket = sim.with(|s| s.data.tickets[0].id);
    let releases = Releases::default();
    async {
        for _ in 0..15 {
            console.ticket(ticket).await.unwrap();
        }
    }
    .with_subscriber(releases.dispatch())
    .await;
    assert_eq!(releases.count(), 15, "the console's requests");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}");
    assert!(releases.add_log(&log) >= 3, "the sync process's requests: {log}");
    let peak = releases.peak_per_second();
    assert!(peak <= 5, "{peak} requests were released in one second");
    assert_mirrors(&app, panel, &sim).await;
}

/// `last_update` in the ticket list is "likely" in the API reference: a panel may leave it out.
#[tokio::test]
async fn new_messages_arrive_when_the_ticket_list_has_no_last_update() {
    let app = TestApp::new().await;
    let sim = sim(9, 2_000, false).await;
    sim.faults(|f| f.tickets_without_last_update = true);
    let panel = register(&app, &sim).await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    let count = |id: i64| {
        format!("SELECT COUNT(*) FROM ticket_messages WHERE panel_id = {panel} AND ticket_id = {id}")
    };
    let visible = |id: i64| {
        sim.with(|s| {
            let now = s.data.now;
            s.data
                .tickets
                .iter()
                .find(|t| t.id == id)
                .map_or(0, |t| t.messages.iter().filter(|m| m.created <= now).count())
        }) as i64
    };
    let (answered, waiting) = sim.with(|s| {
        let now = s.data.now;
        let open: Vec<i64> = s
            .data
            .tickets
            .iter()
            .filter(|t| t.created <= now && t.status == "pending")
            .map(|t| t.id)
            .collect();
        (open[0], open[1])
    });
    assert_eq!(app.scalar(&count(answered)).await, visible(answered));
    // A staff reply changes the status (pending → answered): the conversation is read again at once.
    let client = admin_client(&sim, &crate::sync_support::client(0));
    client.reply(answered, "<p>Refill started.</p>", "Alice").await.unwrap();
    // The customer writes again on another ticket: its status stays pending, nothing in the list moves.
    sim.with(|s| {
        let now = s.data.now;
        let t = s.data.tickets.iter_mut().find(|t| t.id == waiting).unwrap();
        t.messages.push(testkit::data::Message {
            sender_name: "customer".into(),
            is_staff: false,
            message: "<p>Any news on order 12345678?</p>".into(),
            created: now,
        });
    });
    sync_idle(&app, panel).await;
    assert_eq!(app.scalar(&count(answered)).await, visible(answered));
    assert_eq!(app.scalar(&count(waiting)).await, visible(waiting) - 1, "re-read before its time");
    // Open tickets are read again every 15 minutes.
    app.exec(&format!(
        "UPDATE tickets_cache SET messages_read_at = messages_read_at - {}",
        shared::cache::ticket_messages::REREAD_OPEN_SECS + 1
    ))
    .await;
    sync_idle(&app, panel).await;
    assert_eq!(app.scalar(&count(waiting)).await, visible(waiting));
    let progress = |c: &str| {
        format!("SELECT {c} FROM sync_state WHERE panel_id = {panel} AND resource = 'ticket_messages'")
    };
    let (current, all) = (app.scalar(&progress("fetched")).await, app.scalar(&progress("total")).await);
    assert_eq!(current, all, "Settings → Sync shows every conversation current");
}

#[tokio::test]
async fn users_spent_and_ticket_changes_are_picked_up() {
    let app = TestApp::new().await;
    let sim = sim(7, 2_000, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let (user_id, ticket_id) = sim.with(|s| {
        s.data.users[3].spent += 123_450_000;
        s.data.users[3].balance = 42_000_000;
        let t = &mut s.data.tickets[0];
        t.status = "closed";
        (s.data.users[3].id, t.id)
    });
    // A staff reply arrives upstream: the ticket's last update moves, its messages are fetched again.
    let client = admin_client(&sim, &crate::sync_support::client(0));
    client.reply(ticket_id, "<p>Refilled, please check.</p>", "Alice").await.unwrap();
    sim.advance(3_600);
    let balance = format!("SELECT balance FROM users_cache WHERE id = {user_id}");
    // Quick cycles read from the front of each list until nothing there is new or changed: an hour's
    // new payments arrive in a page or two, and the ticket (tickets always read in full) follows now.
    app.exec("UPDATE sync_state SET page_size = 20 WHERE resource IN ('users', 'payments')").await;
    sync_idle(&app, panel).await;
    let want = crate::sync_support::expected(&sim);
    assert_eq!(crate::sync_support::cached(&app, panel).await.payments, want.payments);
    assert_eq!(crate::sync_support::cached(&app, panel).await.tickets, want.tickets);
    let read =
        |r: &str| format!("SELECT fetched FROM sync_state WHERE resource = '{r}' AND panel_id = {panel}");
    let (payments_read, users_read) = (app.scalar(&read("payments")).await, app.scalar(&read("users")).await);
    let total =
        |r: &str| format!("SELECT total FROM sync_state WHERE resource = '{r}' AND panel_id = {panel}");
    let (payments_all, users_all) = (app.scalar(&total("payments")).await, app.scalar(&total("users")).await);
    assert!(
        payments_read * 3 <= payments_all && users_read * 2 <= users_all,
        "read {payments_read} of {payments_all} payments, {users_read} of {users_all} users"
    );
    // The old customer's balance waits for the full cycle: every sixth.
    assert_ne!(app.scalar(&balance).await, 42_000_000);
    for _ in 0..5 {
        sync_idle(&app, panel).await;
    }
    assert_eq!(app.scalar(&balance).await, 42_000_000);
    assert_mirrors(&app, panel, &sim).await;
    let last = app
        .scalar(&format!("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = {ticket_id} AND message LIKE '%Refilled%' AND is_staff = 1"))
        .await;
    assert_eq!(last, 1);
}

#[tokio::test]
async fn a_run_out_of_time_leaves_its_work_to_the_next_run() {
    let app = TestApp::new().await;
    let sim = sim(9, 300, false).await;
    let panel = register(&app, &sim).await;
    shared::domain::sync::ensure_rows(&app.state.db, panel).await.unwrap();
    let rows = app.scalar("SELECT COUNT(*) FROM sync_state").await;
    assert!(rows >= 6);
    // The Lambda's deadline has passed: nothing starts, nothing is half done.
    let late = panelops_sync::RunOptions {
        deadline: Some(std::time::Instant::now()),
        client: crate::sync_support::client(0),
        ..Default::default()
    };
    let report = panelops_sync::run_with(&app.state, &late).await.unwrap();
    assert!(
        report.resources.iter().all(|r| r.outcome == panelops_sync::Outcome::Later && r.fetched == 0),
        "{report:?}"
    );
    assert_eq!(sim.request_count(), 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sync_state WHERE status = 'idle' AND lease_until = 0").await,
        rows
    );
    // The next run, with time, does it all.
    let report = panelops_sync::run_with(
        &app.state,
        &panelops_sync::RunOptions { client: crate::sync_support::client(0), ..Default::default() },
    )
    .await
    .unwrap();
    assert!(
        report.resources.iter().any(|r| r.resource == "orders" && r.outcome == panelops_sync::Outcome::Ok),
        "{report:?}"
    );
    let visible = sim.with(|s| s.data.visible_count()) as i64;
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM orders_cache WHERE panel_id = {panel}")).await,
        visible
    );
}

#[tokio::test]
async fn a_quick_cycle_reads_on_while_the_panel_has_rows_the_cache_lacks() {
    let app = TestApp::new().await;
    let sim = sim(11, 500, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    // Rows missing deep in the list (as if the panel listed oldest first): the front page is unchanged,
    // yet the panel counts more than the cache holds, so the quick cycle reads on and finds them.
    app.exec("UPDATE sync_state SET page_size = 20 WHERE resource = 'users'").await;
    let oldest = app.scalar("SELECT MIN(id) FROM users_cache").await;
    app.exec(&format!("DELETE FROM users_cache WHERE id < {oldest} + 5")).await;
    sync_idle(&app, panel).await;
    assert_eq!(
        crate::sync_support::cached(&app, panel).await.users,
        crate::sync_support::expected(&sim).users
    );
}
