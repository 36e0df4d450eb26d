//! Order actions through the console's admin API (scope `orders:write`, the key's panels), the
//! `panelops api-key create` command, and the refill window on the order page and the Orders filter.

use std::process::Command;

use axum::body::Body;
use axum::http::{header, Method};
use serde_json::Value;
use shared::auth::{Role, Scope};

use crate::adminapi::key;
use crate::helpers::TestApp;
use crate::order_actions::{app, cached_status, open_orders, panel, sim_status, with_status, writes_for};

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let req = TestApp::request(Method::POST, path, None)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", token)
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.send(req).await;
    let v = serde_json::from_str(&res.body).unwrap_or_else(|_| panic!("{path}: not JSON: {}", res.body));
    (res.status.as_u16(), v)
}

fn results(v: &Value) -> Vec<(i64, String, String)> {
    v["data"]["list"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {v}"))
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["result"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_api_acts_with_orders_write_and_answers_one_result_per_id() {
    let app = app().await;
    let (sim, p) = panel(&app, 501).await;
    let k = key(&app, &[Scope::OrdersWrite], Some(&[p])).await;
    let failed = with_status(&app, p, "fail", 1).await[0];
    let done = with_status(&app, p, "completed", 1).await[0];
    let ids = format!("{failed},{done}");
    let (status, v) =
        post(&app, "/adminapi/v2/orders/resend", &k, serde_json::json!({"panel": p, "ids": ids})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["error_code"], 0);
    let r = results(&v);
    assert_eq!((r[0].0, r[0].1.as_str()), (failed, "done"));
    assert_eq!((r[1].0, r[1].1.as_str()), (done, "refused"));
    assert!(r[1].2.contains("only failed orders can be resent"), "{}", r[1].2);
    assert_eq!(v["data"]["list"][0]["panel_id"], p);
    assert_eq!(v["data"]["list"][0]["status"], "pending", "re-read at once");
    assert_eq!(cached_status(&app, p, failed).await, "pending");
    assert_eq!(writes_for(&sim, done), 0);
    // Each of the other actions.
    let open = open_orders(&app, p, 4).await;
    let (s, v) = post(
        &app,
        "/adminapi/v2/orders/request-cancel",
        &k,
        serde_json::json!({"panel": p, "ids": open[0].to_string()}),
    )
    .await;
    assert_eq!((s, results(&v)[0].1.as_str()), (200, "done"), "{v}");
    let (s, v) = post(
        &app,
        "/adminapi/v2/orders/change-status",
        &k,
        serde_json::json!({"panel": p, "ids": open[1].to_string(), "status": "completed"}),
    )
    .await;
    assert_eq!((s, results(&v)[0].1.as_str()), (200, "done"), "{v}");
    assert_eq!(sim_status(&sim, open[1]), "completed");
    let (s, v) = post(
        &app,
        &format!("/adminapi/v2/orders/{}/set-partial", open[2]),
        &k,
        serde_json::json!({"panel": p, "remains": 5}),
    )
    .await;
    assert_eq!((s, results(&v)[0].1.as_str()), (200, "done"), "{v}");
    assert_eq!(sim_status(&sim, open[2]), "partial");
    let (s, v) = post(
        &app,
        &format!("/adminapi/v2/orders/{}/edit-link", open[3]),
        &k,
        serde_json::json!({"panel": p, "link": "https://example.com/x"}),
    )
    .await;
    assert_eq!((s, results(&v)[0].1.as_str()), (200, "done"), "{v}");
    let (s, v) = post(
        &app,
        "/adminapi/v2/orders/cancel",
        &k,
        serde_json::json!({"panel": p, "ids": open[3].to_string()}),
    )
    .await;
    assert_eq!((s, results(&v)[0].1.as_str()), (200, "done"), "{v}");
    assert_eq!(sim_status(&sim, open[3]), "canceled");
    // A bad body is a 400 in words; too many ids too.
    let (s, _) = post(
        &app,
        "/adminapi/v2/orders/change-status",
        &k,
        serde_json::json!({"panel": p, "ids": "1", "status": "robot"}),
    )
    .await;
    assert_eq!(s, 400);
    let many: Vec<String> = (0..51).map(|i| (1_000_000 + i).to_string()).collect();
    let (s, v) =
        post(&app, "/adminapi/v2/orders/cancel", &k, serde_json::json!({"panel": p, "ids": many.join(",")}))
            .await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error_message"].as_str().unwrap_or("").contains("at most 50"), "{v}");
    // Logged under the key.
    assert!(
        app.scalar(
            "SELECT COUNT(*) FROM activity_log WHERE action = 'order.action' AND username LIKE 'API key %'"
        )
        .await
            >= 6
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'order.cancel'").await, 1);
}

#[tokio::test]
async fn a_key_without_orders_write_or_outside_its_panels_is_refused_before_anything_is_sent() {
    let app = app().await;
    let (sim_a, a) = panel(&app, 502).await;
    let (sim_b, b) = panel(&app, 503).await;
    let open_b = open_orders(&app, b, 1).await[0];
    let read_only = key(&app, &[Scope::OrdersRead], None).await;
    let (s, _) = post(
        &app,
        "/adminapi/v2/orders/cancel",
        &read_only,
        serde_json::json!({"panel": b, "ids": open_b.to_string()}),
    )
    .await;
    assert_eq!(s, 403);
    let only_a = key(&app, &[Scope::OrdersWrite], Some(&[a])).await;
    let (s, v) = post(
        &app,
        "/adminapi/v2/orders/cancel",
        &only_a,
        serde_json::json!({"panel": b, "ids": open_b.to_string()}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, _) = post(
        &app,
        &format!("/adminapi/v2/orders/{open_b}/edit-link"),
        &only_a,
        serde_json::json!({"panel": b, "link": "https://x.example"}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(sim_a.with(|s| s.writes.len()) + sim_b.with(|s| s.writes.len()), 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM order_actions").await, 0);
    // The OpenAPI document lists the actions and the scope.
    let doc = app.get("/adminapi/v2/openapi.json", None).await;
    for path in [
        "/orders/resend",
        "/orders/request-cancel",
        "/orders/cancel",
        "/orders/change-status",
        "/orders/{id}/set-partial",
        "/orders/{id}/edit-link",
    ] {
        assert!(doc.body.contains(path), "{path}");
    }
    assert!(doc.body.contains("orders:write"));
}

#[tokio::test]
async fn api_key_create_prints_the_token_once_stores_its_hash_and_logs_it() {
    let app = TestApp::new().await;
    app.add_staff("boss", Role::Owner, &[]).await;
    let p = app.add_panel("Alpha", "https://alpha.example", Some("k")).await;
    let out = Command::new(env!("CARGO_BIN_EXE_panelops"))
        .envs(app.db_env())
        .env("PANELOPS_LOG", "warn")
        .args([
            "api-key",
            "create",
            "--name",
            "ops script",
            "--scopes",
            "orders:read,orders:write",
            "--panels",
            &p.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("po_"), "{token}");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM api_keys WHERE token_hash = '{token}'")).await, 0);
    let key = shared::auth::api_key::find_by_token(&app.state.db, &token).await.unwrap().unwrap();
    assert_eq!(key.scopes, vec![Scope::OrdersRead, Scope::OrdersWrite]);
    assert_eq!((key.all_panels, key.panels.clone()), (false, vec![p]));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'api_key.created' AND details LIKE 'Key ops script%'").await, 1);
    let bad = Command::new(env!("CARGO_BIN_EXE_panelops"))
        .envs(app.db_env())
        .args(["api-key", "create", "--name", "x", "--scopes", "orders:delete"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no scope"));
}

#[tokio::test]
async fn the_refill_window_follows_the_service_name_on_the_order_page_and_the_filter() {
    let app = TestApp::new().await;
    let p = app.add_panel("Alpha", "https://alpha.example", None).await;
    let now = shared::time::now();
    let day = 86_400;
    for (id, name) in
        [(1, "Likes | R30 | Instant"), (2, "Views [Refill: No]"), (3, "Followers R∞"), (4, "Plays fast")]
    {
        app.exec(&format!(
            "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES ({p}, {id}, '{name}', 0)"
        ))
        .await;
    }
    let orders = [
        (11, 1, "Likes | R30 | Instant", "completed", now - 5 * day), // inside
        (12, 1, "Likes | R30 | Instant", "completed", now - 40 * day), // outside
        (13, 2, "Views [Refill: No]", "completed", now - day),        // none promised
        (14, 3, "Followers R∞", "partial", now - 400 * day),          // lifetime
        (15, 1, "Likes | R30 | Instant", "in_progress", now - day),   // not delivered yet
        (16, 4, "Plays fast", "completed", now - day),                // the name says nothing
    ];
    for (id, svc, name, status, created) in orders {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, service_id, service_name, status, created, checked_at)
             VALUES ({p}, {id}, {svc}, '{name}', '{status}', {created}, 0)"
        ))
        .await;
    }
    let agent = app.as_role("agent1", Role::Agent, &[p]).await;
    let page = |id: i64| format!("/orders/{p}/{id}");
    let inside = app.get(&page(11), Some(&agent)).await;
    assert!(
        inside.body.contains("refill until ") && inside.body.contains("data-refill=\"eligible\""),
        "{}",
        inside.body
    );
    assert!(app.get(&page(12), Some(&agent)).await.body.contains("outside the 30-day refill"));
    assert!(app.get(&page(13), Some(&agent)).await.body.contains("no refill promised"));
    assert!(app.get(&page(14), Some(&agent)).await.body.contains("lifetime refill"));
    assert!(app.get(&page(16), Some(&agent)).await.body.contains("no refill promised"));
    let list = app.get("/orders?refill=eligible", Some(&agent)).await;
    assert_eq!(list.status.as_u16(), 200, "{}", list.body);
    let shown: Vec<i64> = [11, 12, 13, 14, 15, 16]
        .into_iter()
        .filter(|id| list.body.contains(&format!("value=\"{p}:{id}\"")))
        .collect();
    assert_eq!(shown, vec![11, 14]);
    assert_eq!(app.get("/orders?refill=maybe", Some(&agent)).await.status.as_u16(), 400);
}
