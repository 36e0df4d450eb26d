//! Each function's real binary started as Lambda starts it: `AWS_LAMBDA_RUNTIME_API` pointing at a
//! loopback stand-in of the Runtime API (`testkit::lambda_runtime`), the database from the
//! environment (in the hosted tier sqld with a token, as on Turso), events as API Gateway and
//! EventBridge Scheduler send them. The binaries come from `cargo build --workspace --bins`
//! (`scripts/test` runs it first).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use shared::auth::{Role, Scope};
use testkit::lambda_runtime::{Answer, Outcome, RuntimeApi};

use crate::helpers::{TestApp, STRONG};

/// Generous: a debug binary on a loaded 2-core machine, syncing over loopback.
const ANSWER_WITHIN: Duration = Duration::from_secs(90);

/// Where `cargo build` put a workspace binary: beside this test's own `deps` folder.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let bin = dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: build the Lambda binaries first with `cargo build --workspace --bins` \
         (scripts/test does)",
        bin.display()
    );
    stale_check(&bin);
    bin
}

/// A binary older than a source it was built from tests yesterday's code: say so instead. Cargo's
/// dep-info file beside it (`<name>.d`) lists those sources.
fn stale_check(bin: &std::path::Path) {
    let (Ok(dep_info), Ok(built)) =
        (std::fs::read_to_string(bin.with_extension("d")), std::fs::metadata(bin).and_then(|m| m.modified()))
    else {
        return;
    };
    let Some((_, sources)) = dep_info.split_once(": ") else { return };
    for source in sources.split_whitespace() {
        let changed = std::fs::metadata(source).and_then(|m| m.modified());
        if changed.is_ok_and(|changed| changed > built) {
            panic!(
                "{} is older than {source}: rebuild it with `cargo build --workspace --bins`",
                bin.display()
            );
        }
    }
}

/// One function process and its Runtime API; killed when dropped.
struct Function {
    name: &'static str,
    api: RuntimeApi,
    child: tokio::process::Child,
    log: tempfile::NamedTempFile,
}

impl Function {
    /// Starts `name` against `app`'s database and waits until its init is done (its first poll).
    async fn start(app: &TestApp, name: &'static str) -> Function {
        let api = RuntimeApi::start().await.expect("runtime API");
        let log = tempfile::NamedTempFile::new().expect("log file");
        let child = tokio::process::Command::new(binary(name))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true")
            .env("PANELOPS_LOG", "warn")
            .envs(app.db_env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let mut f = Function { name, api, child, log };
        // Ready at its first poll; a function that cannot start posts an init error and exits.
        let polled = f.api.until_polled(1);
        let failed = tokio::time::timeout(ANSWER_WITHIN, async {
            tokio::select! {
                polled = polled => (!polled).then(|| "the runtime API stopped".to_string()),
                answer = f.api.answer() => Some(format!("it answered before any event: {answer:?}")),
                exit = f.child.wait() => Some(format!("it exited: {exit:?}")),
            }
        })
        .await
        .unwrap_or_else(|_| Some(format!("it never asked for an event within {ANSWER_WITHIN:?}")));
        if let Some(why) = failed {
            panic!("{name} did not start: {why}{}", f.log_tail());
        }
        f
    }

    /// Sends one event and waits for what the function posts back.
    async fn invoke(&mut self, event: &str) -> Answer {
        let id = self.api.invoke(event);
        let answer = tokio::time::timeout(ANSWER_WITHIN, self.api.answer()).await;
        let Ok(Some(answer)) = answer else {
            panic!("{} did not answer {event} within {ANSWER_WITHIN:?}{}", self.name, self.log_tail())
        };
        assert_eq!(answer.request_id.as_deref(), Some(id.as_str()), "{answer:?}{}", self.log_tail());
        answer
    }

    /// A response (not an error), as JSON.
    async fn ok(&mut self, event: &Value) -> Value {
        let answer = self.invoke(&event.to_string()).await;
        assert_eq!(
            answer.outcome,
            Outcome::Response,
            "{} refused {event}: {answer:?}{}",
            self.name,
            self.log_tail()
        );
        answer.json()
    }

    /// An error posted to `/invocation/{id}/error`: its `errorType` and `errorMessage`.
    async fn refused(&mut self, event: &str) -> (String, String) {
        let answer = self.invoke(event).await;
        assert_eq!(answer.outcome, Outcome::Error, "{} took {event}: {answer:?}", self.name);
        let v = answer.json();
        let (kind, message) = (v["errorType"].as_str(), v["errorMessage"].as_str());
        (kind.unwrap_or_default().to_string(), message.unwrap_or_default().to_string())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("\n--- {} stderr (last lines) ---\n{}", self.name, tail.join("\n"))
    }
}

/// An HTTP API (payload 2.0) request as API Gateway sends it: `target` may carry a query; cookies
/// travel in their own field, as the gateway splits them out of the Cookie header.
pub fn http_request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    cookies: &[String],
    body: &str,
) -> Value {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut h = serde_json::Map::new();
    h.insert("host".into(), json!("abc123.execute-api.eu-west-1.amazonaws.com"));
    h.insert("x-forwarded-proto".into(), json!("https"));
    for (k, v) in headers {
        h.insert(k.to_ascii_lowercase(), json!(v));
    }
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123", "requestId": "r1", "routeKey": "$default", "stage": "$default",
            "time": "15/Jun/2025:10:00:00 +0000", "timeEpoch": 1749981600000_i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test"}
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !body.is_empty() {
        event["body"] = json!(body);
    }
    event
}

/// What EventBridge Scheduler sends a target whose schedule has no `Input`.
fn scheduler_envelope() -> String {
    crate::lambda_events::envelope().to_string()
}

/// Not JSON at all.
const MALFORMED: &str = "{\"job\": \"sync\",";

fn status(res: &Value) -> i64 {
    res["statusCode"].as_i64().unwrap_or_default()
}

fn body(res: &Value) -> &str {
    assert_ne!(res["isBase64Encoded"], true, "a page is text: {res}");
    res["body"].as_str().unwrap_or_default()
}

/// `name=value` of a cookie the response set (API Gateway 2.0 responses carry them in `cookies`).
fn set_cookie(res: &Value, name: &str) -> Option<String> {
    res["cookies"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|c| c.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")) && !kv.ends_with('='))
        .map(str::to_string)
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_string())
}

/// Every row of every table, as text: unchanged means nothing was written.
async fn everything(app: &TestApp) -> Vec<String> {
    let conn = app.state.db.connect().await.expect("conn");
    let mut tables = Vec::new();
    let mut rows = conn
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            (),
        )
        .await
        .expect("tables");
    while let Some(r) = rows.next().await.expect("row") {
        tables.push(r.get::<String>(0).expect("name"));
    }
    let mut out = Vec::new();
    for t in tables {
        let mut rows = conn.query(&format!("SELECT * FROM \"{t}\""), ()).await.expect("rows");
        while let Some(r) = rows.next().await.expect("row") {
            let cells: Vec<String> = (0..r.column_count())
                .map(|i| crate::sync_support::cell(r.get_value(i).expect("value")))
                .collect();
            out.push(format!("{t}: {}", cells.join("|")));
        }
    }
    out
}

/// Signs in through the console function as a browser would (the sign-in page's CSRF cookie and
/// field, then the form), and returns the session cookie.
async fn sign_in(api: &mut Function, username: &str) -> String {
    let page = api.ok(&http_request("GET", "/login", &[], &[], "")).await;
    assert_eq!(status(&page), 200, "{page}");
    let csrf_cookie = set_cookie(&page, "po_login_csrf").expect("the sign-in page sets its CSRF cookie");
    let token = hidden(body(&page), "csrf").expect("the sign-in form's CSRF field");
    let form = serde_urlencoded::to_string([
        ("csrf", token.as_str()),
        ("username", username),
        ("password", STRONG),
        ("next", "/"),
    ])
    .expect("form");
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let res = api.ok(&http_request("POST", "/login", &headers, &[csrf_cookie], &form)).await;
    assert_eq!(status(&res), 303, "signed in and sent on: {res}");
    set_cookie(&res, "po_session").expect("a session cookie")
}

/// The console function: a malformed event is refused without a write; a sign-in, a page with the
/// session, `/adminapi/v2/orders` with an API key; and the reports function reads the same session.
#[tokio::test]
async fn the_console_and_reports_functions_serve_api_gateway_events() {
    let app = TestApp::new().await;
    app.add_staff("owner1", Role::Owner, &[]).await;
    let panel = app.add_panel("Main", "https://main.example", None).await;
    for (id, status) in [(101, "pending"), (102, "completed")] {
        app.exec(&format!(
            "INSERT INTO orders_cache (panel_id, id, status, created, checked_at) VALUES ({panel}, {id}, '{status}', {}, 0)",
            1_700_000_000 + id
        ))
        .await;
    }
    let key = crate::adminapi::key(&app, &[Scope::OrdersRead], None).await;
    let mut api = Function::start(&app, "panelops-api").await;

    let before = everything(&app).await;
    let (_, message) = api.refused(MALFORMED).await;
    assert!(message.contains("failed to deserialize the incoming data"), "{message}");
    let (_, message) = api.refused(r#"{"job":"sync"}"#).await;
    assert!(message.contains("expects a JSON payload from Amazon API Gateway"), "{message}");
    assert_eq!(everything(&app).await, before, "a refused event writes nothing");

    let session = sign_in(&mut api, "owner1").await;
    let page = api.ok(&http_request("GET", "/orders", &[], std::slice::from_ref(&session), "")).await;
    assert_eq!(status(&page), 200, "{page}");
    assert!(
        body(&page).contains("owner1") && body(&page).contains("101"),
        "the orders page: {}",
        body(&page)
    );
    let signed_out = api.ok(&http_request("GET", "/orders", &[], &[], "")).await;
    assert_eq!(status(&signed_out), 303, "without the cookie: {signed_out}");

    let res = api.ok(&http_request("GET", "/adminapi/v2/orders", &[("x-api-key", &key)], &[], "")).await;
    assert_eq!(status(&res), 200, "{res}");
    let v: Value = serde_json::from_str(body(&res)).expect("JSON");
    let ids: Vec<i64> =
        v["data"]["list"].as_array().expect("list").iter().filter_map(|o| o["id"].as_i64()).collect();
    assert_eq!(ids, vec![102, 101], "{v}");
    let res = api.ok(&http_request("GET", "/adminapi/v2/orders", &[("x-api-key", "wrong")], &[], "")).await;
    assert_eq!(status(&res), 401, "{res}");

    // The session the console made is good on the reports function (one database, one cookie).
    let mut reports = Function::start(&app, "panelops-reports").await;
    let (_, message) = reports.refused(&scheduler_envelope()).await;
    assert!(message.contains("expects a JSON payload from Amazon API Gateway"), "{message}");
    let page = reports.ok(&http_request("GET", "/reports/service-health", &[], &[session], "")).await;
    assert_eq!(status(&page), 200, "{page}");
    assert!(body(&page).contains("Service tracking"), "{}", body(&page));
}

/// The sync function on the scheduler's `{"job":"sync"}` syncs a simulated panel into the database;
/// an envelope without the Input and a malformed event are refused with a sentence, writing nothing.
#[tokio::test]
async fn the_sync_function_syncs_a_panel_on_its_scheduler_event() {
    let app = TestApp::new().await;
    let sim = crate::sync_support::sim(19, 40, false).await;
    let panel = crate::sync_support::register(&app, &sim).await;
    let mut sync = Function::start(&app, "panelops-sync").await;

    let before = everything(&app).await;
    let (kind, message) = sync.refused(&scheduler_envelope()).await;
    assert_eq!(kind, "InvalidEvent");
    assert!(message.contains(r#"expected {"job":"sync"}"#) && message.contains("without it"), "{message}");
    let (_, message) = sync.refused(MALFORMED).await;
    assert!(message.contains("failed to deserialize the incoming data"), "{message}");
    let (kind, message) = sync.refused(r#"{"job":"ai-review"}"#).await;
    assert_eq!(kind, "InvalidEvent");
    assert!(message.contains(r#"got {"job":"ai-review"}"#), "{message}");
    assert_eq!(everything(&app).await, before, "a refused event writes nothing");

    // Exactly what template.yaml's schedule sends.
    let input = crate::template::schedule_input("panelops-sync");
    let report = sync.ok(&serde_json::from_str(&input).expect("JSON")).await;
    assert_eq!(report["job"], "sync", "{report}");
    assert_eq!(report["stopped"], json!([]), "{report}");
    let orders = sim.with(|s| s.data.visible_count()) as i64;
    assert!(orders > 0);
    let synced = app.scalar(&format!("SELECT COUNT(*) FROM orders_cache WHERE panel_id = {panel}")).await;
    assert_eq!(synced, orders, "every order of the panel arrived: {report}");
}

/// The AI reviewer's function on `{"job":"ai-review"}` reviews a staff reply with the stand-in model.
#[tokio::test]
async fn the_ai_review_function_reviews_on_its_scheduler_event() {
    use crate::ai_support::{setup, ticket, GOOD, QUESTION};
    let (app, llm) = setup(10).await;
    let panel = app.add_panel("A", "https://a.example", None).await;
    let at = shared::time::now() - 3_600;
    ticket(&app, panel, 501, "Orders - Refill", at, &[(false, "bob", QUESTION), (true, "Bora", GOOD)]).await;
    let mut reviewer = Function::start(&app, "panelops-ai-review").await;

    let before = everything(&app).await;
    let (kind, message) = reviewer.refused(&scheduler_envelope()).await;
    assert_eq!(kind, "InvalidEvent");
    assert!(
        message.contains(r#"expected {"job":"ai-review"}"#) && message.contains("without it"),
        "{message}"
    );
    let (_, message) = reviewer.refused(MALFORMED).await;
    assert!(message.contains("failed to deserialize the incoming data"), "{message}");
    assert_eq!(everything(&app).await, before, "a refused event writes nothing");

    let input = crate::template::schedule_input("panelops-ai-review");
    let report = reviewer.ok(&serde_json::from_str(&input).expect("JSON")).await;
    assert_eq!(report["job"], "ai-review", "{report}");
    assert_eq!(report["reviewed"], 1, "{report}");
    assert_eq!(llm.request_count(), 1);
    let verdict = crate::ai_support::text(&app, "SELECT verdict FROM ai_reviews WHERE ticket_id = 501").await;
    assert_eq!(verdict, "good");
}
