//! `TestApp`: a fresh database and the full local router, with helpers to act as staff.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use shared::auth::staff::{self, NewStaff};
use shared::auth::{session, Role};
use shared::config::Config;
use shared::crypto::SecretKey;
use shared::domain::panels::{self, PanelInput, PanelStatus};
use shared::AppState;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    // Kept so the database file lives as long as the app.
    _dir: tempfile::TempDir,
    /// The hosted tier's server (see `hosted`), or None on a local file.
    pub sqld: Option<testkit::sqld::Sqld>,
}

/// A signed-in staff member: the cookie value and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub staff_id: i64,
    pub token: String,
    pub csrf: String,
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Res {
    /// The text of every element the CSS selector matches, whitespace collapsed: the page as a user
    /// reads it, whatever its markup.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let doc = scraper::Html::parse_document(&self.body);
        let sel = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"));
        doc.select(&sel)
            .map(|el| el.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The text of the first element the selector matches ("" when none does).
    pub fn text(&self, css: &str) -> String {
        self.texts(css).into_iter().next().unwrap_or_default()
    }

    /// Attribute `attr` of every element the selector matches.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let doc = scraper::Html::parse_document(&self.body);
        let sel = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e}"));
        doc.select(&sel).filter_map(|el| el.value().attr(attr).map(str::to_string)).collect()
    }

    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }
    /// The value of a hidden input, e.g. the sign-in form's CSRF token.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')?;
        Some(self.body[start..start + end].to_string())
    }
}

pub const STRONG: &str = "lantern-river-7-maple";

impl TestApp {
    /// A fresh, migrated database: a local file, or in the hosted tier a server of its own.
    pub async fn new() -> TestApp {
        Self::configured(|_| {}).await
    }

    /// As `new`, with a setting changed first.
    pub async fn configured(change: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SecretKey::generate();
        let (mut config, sqld) = match crate::hosted::sqld() {
            Some(bin) => {
                let server = testkit::sqld::Sqld::start(&bin).expect("start sqld");
                (Config::remote(&server.url(), &server.token, key), Some(server))
            }
            None => (Config::local(&dir.path().join("panelops.db"), key), None),
        };
        change(&mut config);
        let state = AppState::init(config).await.expect("init");
        let router = panelops::server::router(&state);
        TestApp { state, router, _dir: dir, sqld }
    }

    /// An app over a state made elsewhere (a database this test set up itself).
    pub fn with_router(state: AppState, router: Router) -> TestApp {
        TestApp { state, router, _dir: tempfile::tempdir().expect("tempdir"), sqld: None }
    }

    /// What a separate `panelops` process needs to open this app's database.
    pub fn db_env(&self) -> Vec<(&'static str, String)> {
        let key = ("PANELOPS_SECRET_KEY", self.state.config.secret_key.to_base64());
        // The tests' panels and providers are simulators on loopback.
        let private = ("PANELOPS_ALLOW_PRIVATE_URLS", "1".to_string());
        match &self.sqld {
            Some(s) => {
                vec![("DATABASE_URL", s.url()), ("DATABASE_AUTH_TOKEN", s.token.clone()), key, private]
            }
            None => {
                vec![
                    ("DATABASE_URL", self._dir.path().join("panelops.db").display().to_string()),
                    key,
                    private,
                ]
            }
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Res {
        let mut req = req;
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        }
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = to_bytes(res.into_body(), usize::MAX).await.expect("body");
        Res { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub fn request(method: Method, path: &str, session: Option<&Session>) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:3000");
        if let Some(s) = session {
            b = b.header(header::COOKIE, format!("po_session={}", s.token));
        }
        b
    }

    pub async fn get(&self, path: &str, session: Option<&Session>) -> Res {
        self.send(Self::request(Method::GET, path, session).body(Body::empty()).expect("request")).await
    }

    /// Follows a redirect as a browser would: the session plus the cookies the response set.
    pub async fn follow(&self, res: &Res, session: Option<&Session>) -> Res {
        let mut jar: Vec<String> = session.map(|s| format!("po_session={}", s.token)).into_iter().collect();
        for c in res.cookies() {
            if let Some(kv) = c.split(';').next().filter(|kv| !kv.ends_with('=')) {
                jar.push(kv.to_string());
            }
        }
        let req = Request::builder()
            .uri(res.location())
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, jar.join("; "))
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    /// Posts a form; a session's CSRF token is added unless the form carries its own.
    pub async fn post(&self, path: &str, session: Option<&Session>, form: &[(&str, &str)]) -> Res {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        if let Some(s) = session {
            if !pairs.iter().any(|(k, _)| *k == "csrf") {
                pairs.push(("csrf", &s.csrf));
            }
        }
        let body = serde_urlencoded::to_string(&pairs).expect("form");
        let req = Self::request(Method::POST, path, session)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn add_staff(&self, username: &str, role: Role, panels: &[i64]) -> i64 {
        let new =
            NewStaff { username, password: STRONG, role, all_panels: false, panels, only_if_first: false };
        staff::create(&self.state.db, new).await.expect("create staff")
    }

    /// A session created directly (no password hashing), for tests about what a role may do.
    pub async fn session_for(&self, staff_id: i64) -> Session {
        let new = session::create(&self.state.db, &self.state.config, staff_id, "127.0.0.1", "test")
            .await
            .expect("session");
        let conn = self.state.db.connect().await.expect("conn");
        let mut rows = conn
            .query("SELECT csrf_token FROM sessions WHERE id = ?1", libsql::params![new.id])
            .await
            .expect("query");
        let row = rows.next().await.expect("row").expect("session row");
        Session { staff_id, token: new.token, csrf: row.get(0).expect("csrf") }
    }

    /// A member who sees every panel (settings every panel shares need one).
    pub async fn as_role_of_all_panels(&self, username: &str, role: Role) -> Session {
        let new = NewStaff {
            username,
            password: STRONG,
            role,
            all_panels: true,
            panels: &[],
            only_if_first: false,
        };
        let id = staff::create(&self.state.db, new).await.expect("create staff");
        self.session_for(id).await
    }

    pub async fn as_role(&self, username: &str, role: Role, panels: &[i64]) -> Session {
        let id = self.add_staff(username, role, panels).await;
        self.session_for(id).await
    }

    /// Signs in through the real form (CSRF cookie included) and returns the response.
    pub async fn login_form(&self, username: &str, password: &str, ip: &str) -> Res {
        let page = self.get("/login", None).await;
        let token = page.hidden("csrf").unwrap_or_default();
        let body = serde_urlencoded::to_string([
            ("csrf", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/"),
        ])
        .expect("form");
        let mut req = Self::request(Method::POST, "/login", None)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("po_login_csrf={token}"))
            .body(Body::from(body))
            .expect("request");
        let addr: std::net::IpAddr = ip.parse().expect("ip");
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(addr, 40000)));
        self.send(req).await
    }

    pub async fn add_panel(&self, name: &str, url: &str, admin_key: Option<&str>) -> i64 {
        let input = PanelInput {
            name: name.into(),
            base_url: url.into(),
            status: PanelStatus::Active,
            admin_key: admin_key.map(str::to_string),
            services_key: None,
        };
        panels::create(&self.state.db, &self.state.config.secret_key, &input).await.expect("panel")
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let conn = self.state.db.connect().await.expect("conn");
        let mut rows = conn.query(sql, ()).await.expect("query");
        rows.next().await.expect("row").expect("a row").get(0).expect("int")
    }

    /// The first column of every row, as text (integers written out).
    pub async fn column(&self, sql: &str) -> Vec<String> {
        let conn = self.state.db.connect().await.expect("conn");
        let mut rows = conn.query(sql, ()).await.expect("query");
        let mut out = Vec::new();
        while let Some(r) = rows.next().await.expect("row") {
            out.push(match r.get_value(0).expect("value") {
                libsql::Value::Integer(i) => i.to_string(),
                libsql::Value::Text(t) => t,
                _ => String::new(),
            });
        }
        out
    }

    pub async fn exec(&self, sql: &str) {
        let conn = self.state.db.connect().await.expect("conn");
        conn.execute(sql, ()).await.expect("exec");
    }
}

/// Session token from a `Set-Cookie: po_session=…` header.
pub fn session_token(res: &Res) -> Option<String> {
    res.cookie("po_session").and_then(|c| c.split(';').next().map(|kv| kv["po_session=".len()..].to_string()))
}

/// Row 1 of panel 1 in every cache and settings table a detail page reads, so that every route
/// `concrete` names finds its row; a finished order action on panel 1, its order re-read (its page
/// sends and reads nothing).
pub async fn first_rows(app: &TestApp) {
    for sql in [
        "INSERT INTO orders_cache (panel_id, id, status, created, checked_at) VALUES (1, 1, 'pending', 1700000000, 0)",
        "INSERT INTO tickets_cache (panel_id, id, subject, created, checked_at) VALUES (1, 1, 'Hi', 1700000000, 0)",
        "INSERT INTO users_cache (panel_id, id, username, checked_at) VALUES (1, 1, 'u1', 0)",
        "INSERT INTO services_cache (panel_id, id, name, checked_at) VALUES (1, 1, 'Likes', 0)",
        "INSERT INTO payment_methods (id, internal_name, display_name, created) VALUES (1, 'pm', 'PM', 0)",
        "INSERT INTO service_reports (id, panel_id, service_id, reason, reported_at) VALUES (1, 1, 1, 'x', 0)",
        "INSERT INTO order_actions (id, kind, actor, created_at, finished_at) VALUES (1, 'resend', 'owner1', 0, 0)",
        "INSERT INTO order_action_items (action_id, seq, panel_id, order_id, state, status_after) VALUES (1, 0, 1, 1, 'done', 'pending')",
    ] {
        app.exec(sql).await;
    }
}

/// A route's path with every `{param}` as `1` (panel 1, id 1, …), except the static file name.
pub fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path.replace("{file}", "app.css");
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        out.push('1');
        rest = rest[open + close + 1..].to_string();
    }
    out + &rest
}

/// Log lines written while a test's subscriber is set, to read back.
#[derive(Clone, Default)]
pub struct LogCapture(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }
}
