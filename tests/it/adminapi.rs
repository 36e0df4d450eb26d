//! The console's admin API: a drop-in for Perfect Panel clients (our own client reads it like a panel),
//! scopes and panels, errors, paging, rate limit, revoked keys, hashed tokens, the OpenAPI document.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use serde_json::Value;
use shared::auth::api_key::{self, NewKey};
use shared::auth::{Role, Scope};
use shared::crypto::Secret;
use shared::pp::rows::{MessageRow, OrderRow, PaymentRow, TicketRow, UserRow};
use shared::pp::AdminClient;
use shared::Access;

use crate::helpers::{Res, TestApp};
use crate::sync_support::{client, register, sim, sync_idle};

pub async fn key(app: &TestApp, scopes: &[Scope], panels: Option<&[i64]>) -> String {
    let owner = match app.scalar("SELECT COUNT(*) FROM staff WHERE username = 'keyowner'").await {
        0 => app.add_staff("keyowner", Role::Owner, &[]).await,
        _ => app.scalar("SELECT id FROM staff WHERE username = 'keyowner'").await,
    };
    let new = NewKey {
        name: "test key",
        scopes,
        all_panels: panels.is_none(),
        panels: panels.unwrap_or(&[]),
        created_by: owner,
    };
    api_key::create(&app.state.db, &new).await.unwrap().1
}

async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: &str) -> Res {
    let mut b = TestApp::request(method, path, None).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header("x-api-key", t);
    }
    app.send(b.body(Body::from(body.to_string())).unwrap()).await
}

pub async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    let res = call(app, Method::GET, path, Some(token), "").await;
    let v: Value =
        serde_json::from_str(&res.body).unwrap_or_else(|_| panic!("{path}: not JSON: {}", res.body));
    (res.status, v)
}

/// Every row of a list, page by page, as the client sees them.
async fn all_rows(c: &AdminClient, resource: &str, extra: &[(&str, String)]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let mut q: Vec<(&str, String)> = vec![("limit", "1000".into()), ("offset", offset.to_string())];
        q.extend(extra.iter().cloned());
        let page = c.list(resource, &q).await.unwrap_or_else(|e| panic!("{resource}: {e}"));
        offset += page.rows.len();
        out.extend(page.rows);
        if !page.has_next {
            break;
        }
    }
    out
}

fn parsed<T, K: Ord>(rows: &[Value], parse: fn(&Value) -> Result<T, String>, key: fn(&T) -> K) -> Vec<T> {
    let mut v: Vec<T> = rows.iter().map(|r| parse(r).unwrap_or_else(|e| panic!("{e}: {r}"))).collect();
    v.sort_by_key(key);
    v
}

#[tokio::test]
async fn our_own_perfect_panel_client_reads_the_console_like_a_panel() {
    let app = TestApp::new().await;
    let sim = sim(81, 2_500, false).await;
    let panel = register(&app, &sim).await;
    let report = sync_idle(&app, panel).await;
    assert_eq!(report.errors(), 0, "{report:?}");
    let (addr, _server) =
        panelops::server::spawn(&app.state, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let token = key(&app, &Scope::ALL, None).await;
    let ours = AdminClient::new(&format!("http://{addr}"), Secret::new(token), &client(0)).unwrap();
    let panel_client =
        AdminClient::new(&sim.base_url, Secret::new(sim.admin_key.clone()), &client(0)).unwrap();
    let doc: Value = serde_json::from_str(&app.get("/adminapi/v2/openapi.json", None).await.body).unwrap();

    let inc = [("include", "last_update".to_string())];
    for (resource, extra) in
        [("orders", &inc[..]), ("users", &[][..]), ("payments", &[][..]), ("tickets", &[][..])]
    {
        let from_console = all_rows(&ours, resource, extra).await;
        let from_panel = all_rows(&panel_client, resource, extra).await;
        assert_eq!(from_console.len(), from_panel.len(), "{resource}: row count");
        assert!(!from_console.is_empty(), "{resource}: the simulator has rows");
        // Every field the console sends is documented.
        let props = doc
            .pointer(&format!("/paths/~1{resource}/get/responses/200/content/application~1json/schema/properties/data/properties/list/items/properties"))
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{resource} rows documented"));
        for row in &from_console {
            for k in row.as_object().unwrap().keys() {
                assert!(props.contains_key(k), "{resource}.{k} is not in the OpenAPI document");
            }
        }
        match resource {
            "orders" => assert_eq!(
                parsed(&from_console, OrderRow::parse, |o| o.id),
                parsed(&from_panel, OrderRow::parse, |o| o.id)
            ),
            "users" => assert_eq!(
                parsed(&from_console, UserRow::parse, |u| u.id),
                parsed(&from_panel, UserRow::parse, |u| u.id)
            ),
            "payments" => assert_eq!(
                parsed(&from_console, PaymentRow::parse, |p| p.id),
                parsed(&from_panel, PaymentRow::parse, |p| p.id)
            ),
            _ => assert_eq!(
                parsed(&from_console, TicketRow::parse, |t| t.id),
                parsed(&from_panel, TicketRow::parse, |t| t.id)
            ),
        }
    }
    // Filters with Perfect Panel's names give Perfect Panel's answers.
    let failed = [("order_status", "fail".to_string())];
    let a = parsed(&all_rows(&ours, "orders", &failed).await, OrderRow::parse, |o| o.id);
    let b = parsed(&all_rows(&panel_client, "orders", &failed).await, OrderRow::parse, |o| o.id);
    assert_eq!(a, b);
    // One ticket with its conversation.
    let tid = app.scalar("SELECT id FROM tickets_cache ORDER BY id LIMIT 1").await;
    let mine = ours.ticket(tid).await.unwrap();
    let theirs = panel_client.ticket(tid).await.unwrap();
    assert_eq!(TicketRow::parse(&mine).unwrap(), TicketRow::parse(&theirs).unwrap());
    let msgs = |v: &Value| -> Vec<MessageRow> {
        v["messages"].as_array().unwrap().iter().map(|m| MessageRow::parse(m).unwrap()).collect()
    };
    assert_eq!(msgs(&mine), msgs(&theirs));
    assert!(!msgs(&mine).is_empty());
}

/// Two panels with a few cached orders and users, without a simulator.
async fn two_panels(app: &TestApp) {
    app.add_panel("One", "https://one.example", None).await;
    app.add_panel("Two", "https://two.example", None).await;
    for (panel, id, created, status) in [
        (1, 101, 1000, "fail"),
        (1, 102, 1000, "completed"),
        (1, 103, 2000, "fail"),
        (2, 201, 1500, "fail"),
        (2, 101, 3000, "pending"),
    ] {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, user, charge, currency, status, service_id, created, last_update, checked_at)
             VALUES ({panel}, {id}, 'bob', 1250000, 'USD', '{status}', 7, {created}, {created} + 60, 0)"
        ))
        .await;
    }
    app.exec("INSERT INTO users_cache (panel_id, id, username, balance, checked_at) VALUES (1, 1, 'bob', 5000000, 0)").await;
}

#[tokio::test]
async fn keys_reach_only_their_scopes_and_panels() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let one = key(&app, &[Scope::OrdersRead], Some(&[1])).await;
    let (s, v) = get(&app, "/adminapi/v2/orders", &one).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["count"], 3, "panel 2's orders are not counted");
    let ids: Vec<i64> =
        v["data"]["list"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![103, 102, 101], "newest first, ties by id");
    assert_eq!(v["data"]["list"][0]["charge"]["value"], "1.25000");
    assert_eq!(v["data"]["list"][0]["created"], "1970-01-01 00:33:20");
    assert!(v["data"]["list"][0].get("last_update").is_none(), "only with include=last_update");
    let (s, v) = get(&app, "/adminapi/v2/orders?panel=2", &one).await;
    assert_eq!((s, v["error_code"].as_i64()), (StatusCode::FORBIDDEN, Some(403)));
    assert!(v["error_message"].as_str().unwrap().contains("panel 2"));
    let (s, v) = get(&app, "/adminapi/v2/users", &one).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(v["error_message"].as_str().unwrap().contains("users:read"), "{v}");
    // Order 101 exists on both panels: a key for both must say which.
    let both = key(&app, &[Scope::OrdersRead], None).await;
    let (s, _) = get(&app, "/adminapi/v2/orders/101", &both).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = get(&app, "/adminapi/v2/orders/101?panel=2", &both).await;
    assert_eq!((s, v["data"]["status"].as_str()), (StatusCode::OK, Some("pending")));
    assert_eq!(v["data"]["last_update_timestamp"], 3060);
    let (s, v) = get(&app, "/adminapi/v2/orders/101", &one).await;
    assert_eq!((s, v["data"]["panel_id"].as_i64()), (StatusCode::OK, Some(1)));
    let (s, v) = get(&app, "/adminapi/v2/orders/201", &one).await;
    assert_eq!(
        (s, v["error_code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(404)),
        "panel 2's order is not found"
    );
    // Filters.
    let (_, v) =
        get(&app, "/adminapi/v2/orders?order_status=fail&created_from=1500&include=last_update", &both).await;
    let ids: Vec<i64> =
        v["data"]["list"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![103, 201]);
    assert_eq!(v["data"]["list"][0]["last_update"], "1970-01-01 00:34:20");
    let (_, v) = get(&app, "/adminapi/v2/orders?ids=101,103&sort=date-asc&panel=1", &both).await;
    let ids: Vec<i64> =
        v["data"]["list"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![101, 103]);
}

#[tokio::test]
async fn bad_input_is_a_clear_400_and_bad_keys_a_401() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let k = key(&app, &Scope::ALL, None).await;
    for (path, words) in [
        ("/adminapi/v2/orders?limit=5000", "limit"),
        ("/adminapi/v2/orders?limit=0", "limit"),
        ("/adminapi/v2/orders?offset=-1", "offset"),
        ("/adminapi/v2/orders?created_from=yesterday", "created_from"),
        ("/adminapi/v2/orders?service_ids=1,x", "service_ids"),
        ("/adminapi/v2/orders?sort=random", "sort"),
        ("/adminapi/v2/orders?include=everything", "include"),
        ("/adminapi/v2/orders?panel=abc", "panel"),
        ("/adminapi/v2/orders/abc", "order id"),
        ("/adminapi/v2/tickets/1x", "ticket id"),
        ("/adminapi/v2/payments?sort=up", "sort"),
        // A typo in a status is not "no such orders": the valid values are listed.
        (
            "/adminapi/v2/orders?order_status=failed",
            "pending, in_progress, processing, completed, partial, canceled, error, fail",
        ),
        ("/adminapi/v2/orders?order_status=robot", "order_status must be one of"),
        ("/adminapi/v2/orders?order_status=", "order_status must be one of"),
        ("/adminapi/v2/orders?service_ids=", "service_ids"),
        ("/adminapi/v2/services?service_ids=", "service_ids"),
    ] {
        let (s, v) = get(&app, path, &k).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error_code"], 400, "{path}");
        assert!(v["error_message"].as_str().unwrap().contains(words), "{path}: {v}");
    }
    let (s, v) = get(&app, "/adminapi/v2/tickets/99", &k).await;
    assert_eq!((s, v["error_code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
    let (s, _) = get(&app, "/adminapi/v2/nothing-here", &k).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = call(&app, Method::GET, "/adminapi/v2/orders", None, "").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("X-Api-Key"), "{}", res.body);
    let (s, v) = get(&app, "/adminapi/v2/orders", "po_not-a-real-key").await;
    assert_eq!((s, v["error_code"].as_i64()), (StatusCode::UNAUTHORIZED, Some(401)));
    // `?apikey=` as some Perfect Panel scripts send it.
    let res = call(&app, Method::GET, &format!("/adminapi/v2/orders?apikey={k}&limit=1"), None, "").await;
    assert_eq!(res.status, StatusCode::OK);
    // Its page links leave the key out: they end up in logs.
    assert!(res.body.contains("offset=1") && !res.body.contains(&k), "{}", res.body);
    // A reply without a message.
    let res =
        call(&app, Method::POST, "/adminapi/v2/tickets/1/reply", Some(&k), "{\"staff_name\": \"x\"}").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    let res = call(&app, Method::POST, "/adminapi/v2/tickets/1/reply", Some(&k), "{not json").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
}

#[tokio::test]
async fn pages_are_stable_and_link_to_the_next() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let k = key(&app, &[Scope::OrdersRead], None).await;
    let (_, full) = get(&app, "/adminapi/v2/orders?limit=1000", &k).await;
    assert_eq!(full["pagination"]["next_page_href"], "");
    let mut seen = Vec::new();
    let mut path = "/adminapi/v2/orders?limit=2".to_string();
    loop {
        let (_, v) = get(&app, &path, &k).await;
        assert_eq!(v["data"]["count"], 5);
        for r in v["data"]["list"].as_array().unwrap() {
            seen.push((r["panel_id"].as_i64().unwrap(), r["id"].as_i64().unwrap()));
        }
        let next = v["pagination"]["next_page_href"].as_str().unwrap();
        if next.is_empty() {
            break;
        }
        assert!(next.starts_with("http://127.0.0.1:3000/adminapi/v2/orders?"), "{next}");
        path = next.trim_start_matches("http://127.0.0.1:3000").to_string();
    }
    let all: Vec<(i64, i64)> = full["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["panel_id"].as_i64().unwrap(), r["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(seen, all, "pages of 2 add up to the whole list, no row twice or missing");
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let k = key(&app, &[Scope::OrdersRead], None).await;
    app.exec("UPDATE api_keys SET rate_per_minute = 3").await;
    for _ in 0..3 {
        assert_eq!(get(&app, "/adminapi/v2/orders", &k).await.0, StatusCode::OK);
    }
    let res = call(&app, Method::GET, "/adminapi/v2/orders", Some(&k), "").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let after: u64 = res.headers.get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&after), "{after}");
    assert!(res.body.contains("\"error_code\":429"), "{}", res.body);
    // Another key is not held back by it.
    let other = key(&app, &[Scope::OrdersRead], None).await;
    assert_eq!(get(&app, "/adminapi/v2/orders", &other).await.0, StatusCode::OK);
}

#[tokio::test]
async fn owners_create_and_revoke_keys_and_only_a_hash_is_kept() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app
        .post(
            "/settings/api-keys",
            Some(&owner),
            &[("name", "Orders bot"), ("scope", "orders:read"), ("scope", "tickets:read"), ("panels", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let start = res.body.find("id=\"new-token\">").expect("token shown") + "id=\"new-token\">".len();
    let token = res.body[start..].split('<').next().unwrap().to_string();
    assert!(token.starts_with("po_") && token.len() > 40, "{token}");
    assert!(res.body.contains("curl -H &quot;X-Api-Key: "), "the curl example");
    assert!(res.body.contains("http://127.0.0.1:3000/adminapi/v2/orders?order_status=fail&amp;limit=10"));
    // Only the hash: the token is nowhere in the database.
    let hash = shared::crypto::token_hash(&token);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM api_keys WHERE token_hash = '{hash}'")).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_keys WHERE name || prefix || scopes || token_hash LIKE '%{token}%'"
        ))
        .await,
        0
    );
    let list = app.get("/settings/api-keys", Some(&owner)).await;
    assert!(list.body.contains("Orders bot") && list.body.contains(&token[..11]), "prefix listed");
    assert!(!list.body.contains(&token), "the token is never shown again");
    assert!(list.body.contains("orders:read, tickets:read") && list.body.contains(">One<"));
    // It works, within its panel.
    assert_eq!(get(&app, "/adminapi/v2/orders", &token).await.0, StatusCode::OK);
    assert_eq!(get(&app, "/adminapi/v2/orders?panel=2", &token).await.0, StatusCode::FORBIDDEN);
    assert!(app.scalar("SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL").await == 1);
    // "Last used" is not written on every request.
    app.exec("UPDATE api_keys SET last_used_at = 5").await;
    assert_eq!(get(&app, "/adminapi/v2/orders", &token).await.0, StatusCode::OK);
    assert_eq!(app.scalar("SELECT last_used_at FROM api_keys").await, 5);
    // Bad form: errors in words, nothing created.
    let bad = app.post("/settings/api-keys", Some(&owner), &[("name", "")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Choose at least one scope") && bad.body.contains("Choose the panels"));
    // Revoke.
    let id = app.scalar("SELECT id FROM api_keys").await;
    let res = app.post(&format!("/settings/api-keys/{id}/revoke"), Some(&owner), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let (s, v) = get(&app, "/adminapi/v2/orders", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["error_message"].as_str().unwrap().contains("revoked"));
    let list = app.get("/settings/api-keys", Some(&owner)).await;
    assert!(list.body.contains("revoked"));
    let actions = app
        .scalar("SELECT COUNT(*) FROM activity_log WHERE action IN ('api_key.created', 'api_key.revoked')")
        .await;
    assert_eq!(actions, 2);
    // Admins cannot reach keys.
    let admin = app.as_role("admin1", Role::Admin, &[1]).await;
    assert_eq!(app.get("/settings/api-keys", Some(&admin)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_each_scope_is_enforced() {
    let app = TestApp::new().await;
    two_panels(&app).await;
    let res = app.get("/adminapi/v2/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["ApiKey"]["name"], "X-Api-Key");
    let specs = panelops::server::routes(&app.state).specs().to_vec();
    let mut served = 0;
    for spec in specs.iter().filter(|s| s.path.starts_with("/adminapi/")) {
        if spec.path == "/adminapi/v2/openapi.json" {
            continue;
        }
        let Access::ApiKey(scope) = spec.access else { panic!("{} needs an API key", spec.path) };
        let rel = spec.path.trim_start_matches("/adminapi/v2");
        let op = &doc["paths"][rel][spec.method.as_str().to_lowercase()];
        assert_eq!(
            op["x-scope"],
            scope.as_str(),
            "{} {} is documented with its scope",
            spec.method,
            spec.path
        );
        served += 1;
    }
    // …and nothing documented that is not served.
    let documented: usize =
        doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, served);
    assert!(served >= 8);
    // A walk over the document: a key with every scope but the operation's is refused.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let need = Scope::parse(op["x-scope"].as_str().unwrap()).unwrap();
            let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != need).collect();
            let k = key(&app, &others, None).await;
            let m = if method == "post" { Method::POST } else { Method::GET };
            let url = format!("/adminapi/v2{}", path.replace("{id}", "101"));
            let res = call(&app, m.clone(), &url, Some(&k), "{\"message\": \"hi\"}").await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{method} {path} without {need}");
            let k = key(&app, &[need], Some(&[1])).await;
            let res = call(&app, m, &url, Some(&k), "{\"message\": \"hi\"}").await;
            assert!(
                ![401, 403].contains(&res.status.as_u16()) && res.status.as_u16() < 500,
                "{method} {path}: {}",
                res.body
            );
        }
    }
    // The documentation page renders it, without any external script.
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let page = app.get("/settings/api-keys/docs", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("GET /adminapi/v2/orders") && page.body.contains("order_status"));
    assert!(page.body.contains("POST /adminapi/v2/tickets/{id}/reply"));
    assert!(!page.body.contains("https://cdn") && !page.body.contains("unpkg"));
}

#[tokio::test]
async fn a_reply_goes_to_the_panel_is_logged_and_the_conversation_reread() {
    let app = TestApp::new().await;
    let sim = sim(82, 300, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let tid = app.scalar("SELECT id FROM tickets_cache ORDER BY id LIMIT 1").await;
    let before = app.scalar(&format!("SELECT COUNT(*) FROM ticket_messages WHERE ticket_id = {tid}")).await;
    let k = key(&app, &[Scope::TicketsWrite, Scope::TicketsRead], None).await;
    let res = call(
        &app,
        Method::POST,
        &format!("/adminapi/v2/tickets/{tid}/reply"),
        Some(&k),
        "{\"message\": \"Refill started for 12345678\", \"staff_name\": \"Ana\"}",
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(v["error_code"], 0);
    assert_eq!(v["data"]["messages"].as_i64(), Some(before + 1));
    // On the panel…
    let on_panel = sim.with(|s| {
        s.data
            .tickets
            .iter()
            .find(|t| t.id == tid)
            .map(|t| t.messages.last().map(|m| (m.sender_name.clone(), m.message.clone())))
    });
    assert_eq!(on_panel.flatten(), Some(("Ana".to_string(), "Refill started for 12345678".to_string())));
    // …in the cache at once…
    let (_, detail) = get(&app, &format!("/adminapi/v2/tickets/{tid}"), &k).await;
    let last = detail["data"]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["sender_name"].as_str(), last["is_staff"].as_bool()), (Some("Ana"), Some(true)));
    assert_eq!(detail["data"]["status"], "answered");
    // …and in the activity log.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ticket.replied'").await, 1);
    // A ticket the panel does not have.
    app.exec(&format!(
        "INSERT INTO tickets_cache (panel_id, id, created, checked_at) VALUES ({panel}, 999999, 1, 0)"
    ))
    .await;
    let res =
        call(&app, Method::POST, "/adminapi/v2/tickets/999999/reply", Some(&k), "{\"message\": \"x\"}").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}
