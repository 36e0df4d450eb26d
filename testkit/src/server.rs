//! The simulated panel over HTTP: admin API v2 under `/adminapi/v2` and public API v2 at `/api/v2`,
//! with the envelope, offset paging, filters, the 5 requests/second limit and the fault switches.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

use crate::data::{Message, Order, PanelData, SimConfig, FIRST_SERVICE_ID};
use crate::faults::Faults;

pub struct SimState {
    pub data: PanelData,
    pub faults: Faults,
    /// Arrival time and path of every request, for throttle checks.
    pub requests: Vec<(Instant, String)>,
    accepted: Vec<Instant>,
    pub admin_key: String,
    pub services_key: String,
    /// Some: the simulated clock follows the wall clock from this point (demo); None: tests move it.
    realtime: Option<(Instant, i64)>,
    pub base_url: String,
    /// Some: this panel plays a rival; `action=services` answers its moving catalogue.
    pub rival: Option<crate::rival::Rival>,
    /// Every order write that reached a handler: (route, order id), applied or refused.
    pub writes: Vec<(String, i64)>,
    /// Set by a write that applied under `Faults::apply_then_hang`: its answer never comes in time.
    pub(crate) hang_after_write: bool,
}

#[derive(Clone)]
pub struct SimHandle {
    pub addr: SocketAddr,
    pub base_url: String,
    pub admin_key: String,
    pub services_key: String,
    state: Arc<Mutex<SimState>>,
}

pub(crate) fn lock(m: &Mutex<SimState>) -> MutexGuard<'_, SimState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SimHandle {
    /// Generates the panel and serves it on a free loopback port.
    pub async fn start(cfg: SimConfig, realtime: bool) -> std::io::Result<SimHandle> {
        Self::start_on(cfg, realtime, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(cfg: SimConfig, realtime: bool, addr: SocketAddr) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let seed = cfg.seed;
        let data = PanelData::generate(cfg);
        let now = data.now;
        let state = Arc::new(Mutex::new(SimState {
            data,
            faults: Faults::normal(),
            requests: Vec::new(),
            accepted: Vec::new(),
            admin_key: format!("sim-admin-{seed}-k3y"),
            services_key: format!("sim-services-{seed}-k3y"),
            realtime: realtime.then(|| (Instant::now(), now)),
            base_url: base_url.clone(),
            rival: None,
            writes: Vec::new(),
            hang_after_write: false,
        }));
        let (admin_key, services_key) = {
            let s = lock(&state);
            (s.admin_key.clone(), s.services_key.clone())
        };
        let app = Router::new()
            .route("/adminapi/v2/orders", get(list_orders))
            .route("/adminapi/v2/orders/{id}", get(one_order))
            .route("/adminapi/v2/users", get(list_users))
            .route("/adminapi/v2/payments", get(list_payments))
            .route("/adminapi/v2/tickets", get(list_tickets))
            .route("/adminapi/v2/tickets/{id}", get(one_ticket))
            .route("/adminapi/v2/tickets/{id}/reply", post(reply_ticket))
            .route("/api/v2", post(public_api))
            .merge(crate::writes::routes())
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimHandle { addr, base_url, admin_key, services_key, state })
    }

    /// Like [`SimHandle::start`], but served from its own thread and runtime, as a separate server
    /// would be: work that blocks the caller's runtime (a test's database writes) cannot delay it.
    pub fn start_in_thread(cfg: SimConfig, realtime: bool) -> std::io::Result<SimHandle> {
        crate::on_own_thread(move |tx| async move {
            let started = SimHandle::start(cfg, realtime).await;
            let ok = started.is_ok();
            let _ = tx.send(started);
            if ok {
                // Keep serving for the life of the process.
                std::future::pending::<()>().await;
            }
        })
    }

    /// Runs `f` on the simulator's state (data, faults, request log).
    pub fn with<R>(&self, f: impl FnOnce(&mut SimState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        self.with(|s| f(&mut s.faults))
    }

    /// Makes this panel a rival whose catalogue history starts at the current simulated time.
    pub fn make_rival(&self, seed: u64) {
        self.with(|s| s.rival = Some(crate::rival::Rival { seed, t0: s.data.now }))
    }

    /// Moves the simulated clock: orders progress, new orders arrive.
    pub fn advance(&self, secs: i64) {
        self.with(|s| s.data.now += secs)
    }

    pub fn request_count(&self) -> usize {
        self.with(|s| s.requests.len())
    }

    /// The largest number of requests that arrived within any 1-second window.
    pub fn max_requests_per_second(&self) -> usize {
        self.with(|s| {
            let times: Vec<Instant> = s.requests.iter().map(|r| r.0).collect();
            let mut best = 0;
            let mut lo = 0;
            for hi in 0..times.len() {
                while times[hi].duration_since(times[lo]) >= Duration::from_secs(1) {
                    lo += 1;
                }
                best = best.max(hi - lo + 1);
            }
            best
        })
    }
}

enum Gate {
    Go,
    Stop(Response),
    Hang(u64),
}

pub(crate) fn envelope_error(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, Json(json!({"data": [], "error_code": code, "error_message": msg}))).into_response()
}

/// Applies the clock, the request log and the fault switches before a handler answers.
fn gate(s: &mut SimState, path: &str, key_ok: bool) -> Gate {
    let now = Instant::now();
    // A long-running demo must not grow without bound: keep the most recent requests.
    if s.requests.len() >= 100_000 {
        s.requests.drain(..50_000);
    }
    s.requests.push((now, path.to_string()));
    if let Some((t0, base)) = s.realtime {
        s.data.now = base + t0.elapsed().as_secs() as i64;
    }
    s.data.now += s.faults.advance_per_request;
    let f = &mut s.faults;
    if f.timeouts > 0 {
        f.timeouts -= 1;
        return Gate::Hang(f.hang_ms);
    }
    if f.revoked || !key_ok {
        return Gate::Stop(envelope_error(StatusCode::UNAUTHORIZED, 401, "Invalid API key"));
    }
    if f.burst_429 > 0 {
        f.burst_429 -= 1;
        return Gate::Stop(envelope_error(StatusCode::TOO_MANY_REQUESTS, 429, "Too many requests"));
    }
    if f.rate_limit {
        s.accepted.retain(|t| now.duration_since(*t) < Duration::from_secs(1));
        if s.accepted.len() >= 5 {
            return Gate::Stop(envelope_error(StatusCode::TOO_MANY_REQUESTS, 429, "Too many requests"));
        }
    }
    s.accepted.push(now);
    let f = &mut s.faults;
    if f.errors_500 > 0 {
        f.errors_500 -= 1;
        return Gate::Stop((StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response());
    }
    if f.error_code > 0 {
        f.error_code -= 1;
        return Gate::Stop(envelope_error(StatusCode::OK, 100, "Service temporarily unavailable"));
    }
    if f.malformed > 0 {
        f.malformed -= 1;
        return Gate::Stop(
            ([("content-type", "application/json")], "{\"data\": {\"count\": 3, \"list\": [{\"id\": 1,")
                .into_response(),
        );
    }
    Gate::Go
}

/// Runs the gate and the handler body under the lock, sleeping (slow, hang) outside it.
pub(crate) async fn answer(
    state: &Arc<Mutex<SimState>>,
    path: &str,
    key: Option<&str>,
    public: bool,
    body: impl FnOnce(&mut SimState) -> Response,
) -> Response {
    let (gate, slow) = {
        let mut s = lock(state);
        let key_ok = match key {
            Some(k) if public => k == s.services_key,
            Some(k) => k == s.admin_key,
            None => false,
        };
        let g = gate(&mut s, path, key_ok);
        (g, s.faults.slow_ms)
    };
    if slow > 0 {
        tokio::time::sleep(Duration::from_millis(slow)).await;
    }
    match gate {
        Gate::Hang(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            envelope_error(StatusCode::GATEWAY_TIMEOUT, 504, "timeout")
        }
        Gate::Stop(r) if public && r.status() == StatusCode::UNAUTHORIZED => {
            Json(json!({"error": "Invalid API key"})).into_response()
        }
        Gate::Stop(r) => r,
        Gate::Go => body(&mut lock(state)),
    }
}

pub(crate) fn api_key(headers: &HeaderMap, q: &HashMap<String, String>) -> Option<String> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| q.get("apikey").cloned())
}

/// What every admin API handler takes from its request: the simulator, the caller's key, the query.
pub(crate) struct AdminCall {
    st: Arc<Mutex<SimState>>,
    key: Option<String>,
    pub(crate) q: HashMap<String, String>,
}

impl FromRequestParts<Arc<Mutex<SimState>>> for AdminCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<Mutex<SimState>>) -> Result<AdminCall, Response> {
        let Query(q) = Query::<HashMap<String, String>>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(AdminCall { st: st.clone(), key: api_key(&parts.headers, &q), q })
    }
}

impl AdminCall {
    /// [`answer`] for the admin API's `path`.
    pub(crate) async fn answer(&self, path: &str, body: impl FnOnce(&mut SimState) -> Response) -> Response {
        answer(&self.st, path, self.key.as_deref(), false, body).await
    }

    pub(crate) fn state(&self) -> &Arc<Mutex<SimState>> {
        &self.st
    }

    /// A list's `limit` (1 to 1000, 100 when absent) and `offset`.
    fn paging(&self) -> (usize, usize) {
        let limit = num(&self.q, "limit").unwrap_or(100).clamp(1, 1000) as usize;
        let offset = num(&self.q, "offset").unwrap_or(0).max(0) as usize;
        (limit, offset)
    }
}

pub fn money(micros: i64) -> Value {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let value = format!("{sign}{}.{:05}", m / 1_000_000, (m % 1_000_000) / 10);
    let formatted = format!("{sign}${}.{:02}", m / 1_000_000, (m % 1_000_000) / 10_000);
    json!({"value": value, "currency_code": "USD", "formatted": formatted})
}

pub fn datetime(ts: i64) -> String {
    use chrono::{Datelike, Timelike};
    chrono::DateTime::<chrono::Utc>::from_timestamp(ts, 0)
        .map(|d| {
            if (0..=9999).contains(&d.year()) {
                // What the format below gives, without parsing the format on every call.
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second()
                )
            } else {
                d.format("%Y-%m-%d %H:%M:%S").to_string()
            }
        })
        .unwrap_or_default()
}

#[derive(serde::Serialize)]
struct MoneyOut {
    value: String,
    currency_code: &'static str,
    formatted: String,
}

fn money_out(micros: i64) -> MoneyOut {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    MoneyOut {
        value: format!("{sign}{}.{:05}", m / 1_000_000, (m % 1_000_000) / 10),
        currency_code: "USD",
        formatted: format!("{sign}${}.{:02}", m / 1_000_000, (m % 1_000_000) / 10_000),
    }
}

/// An order as `GET /orders` shows it (the same fields as `order_json`).
#[derive(serde::Serialize)]
struct OrderOut<'a> {
    id: i64,
    external_id: Option<String>,
    user: &'a str,
    creation_type: &'static str,
    charge: MoneyOut,
    provider_charge: MoneyOut,
    provider_currency_charge: MoneyOut,
    link: String,
    start_count: i64,
    quantity: i64,
    remains: i64,
    service_id: i64,
    service_type: &'static str,
    service_name: &'a str,
    provider: &'static str,
    status: &'static str,
    mode: &'static str,
    ip_address: &'static str,
    is_autocomplete: bool,
    is_active_autocomplete: bool,
    created: String,
    created_timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_update_timestamp: Option<i64>,
}

fn order_out(d: &PanelData, o: Order, last_update: bool) -> OrderOut<'_> {
    let spec = d.service(o.service);
    OrderOut {
        id: o.id,
        external_id: o.external_id,
        user: &d.users[o.user].username,
        creation_type: o.creation_type,
        charge: money_out(o.charge),
        provider_charge: money_out(o.provider_charge),
        provider_currency_charge: money_out(o.provider_charge),
        link: o.link,
        start_count: o.start_count,
        quantity: o.quantity,
        remains: o.remains,
        service_id: FIRST_SERVICE_ID + o.service as i64,
        service_type: spec.kind,
        service_name: d.service_name(o.service),
        provider: spec.provider,
        status: o.status,
        mode: o.mode,
        ip_address: "203.0.113.7",
        is_autocomplete: false,
        is_active_autocomplete: false,
        created: datetime(o.created),
        created_timestamp: o.created,
        last_update: last_update.then(|| datetime(o.last_update)),
        last_update_timestamp: last_update.then_some(o.last_update),
    }
}

fn order_json(d: &PanelData, o: &Order, last_update: bool) -> Value {
    let spec = d.service(o.service);
    let mut v = json!({
        "id": o.id, "external_id": o.external_id, "user": d.users[o.user].username,
        "creation_type": o.creation_type, "charge": money(o.charge), "provider_charge": money(o.provider_charge),
        "provider_currency_charge": money(o.provider_charge), "link": o.link, "start_count": o.start_count,
        "quantity": o.quantity, "remains": o.remains, "service_id": FIRST_SERVICE_ID + o.service as i64,
        "service_type": spec.kind, "service_name": d.service_name(o.service), "provider": spec.provider, "status": o.status,
        "mode": o.mode, "ip_address": "203.0.113.7", "is_autocomplete": false, "is_active_autocomplete": false,
        "created": datetime(o.created), "created_timestamp": o.created,
    });
    if last_update {
        v["last_update"] = json!(datetime(o.last_update));
        v["last_update_timestamp"] = json!(o.last_update);
    }
    v
}

fn num(q: &HashMap<String, String>, k: &str) -> Option<i64> {
    q.get(k).and_then(|v| v.trim().parse().ok())
}

/// The list envelope with Perfect Panel's offset paging.
fn page(s: &SimState, path: &str, q: &HashMap<String, String>, count: u64, mut list: Vec<Value>) -> Response {
    if s.faults.wrong_type_row && !list.is_empty() {
        list[0]["id"] = json!({"unexpected": "object"});
        list[0]["created_timestamp"] = json!("yesterday");
    }
    Json(json!({
        "data": {"count": count, "list": list},
        "pagination": pagination(s, path, q, count),
        "error_message": "", "error_code": 0
    }))
    .into_response()
}

#[derive(serde::Serialize)]
struct PageOut<'a, T> {
    data: DataOut<'a, T>,
    pagination: Value,
    error_message: &'static str,
    error_code: i64,
}

#[derive(serde::Serialize)]
struct DataOut<'a, T> {
    count: u64,
    list: &'a [T],
}

/// `page` for orders, serialised straight from typed rows (the benchmark's simulator must not be the
/// bottleneck it measures).
fn order_page(
    s: &SimState,
    path: &str,
    q: &HashMap<String, String>,
    count: u64,
    mut list: Vec<OrderOut>,
) -> Response {
    if let Some(o) = s.faults.future_created_order.and_then(|id| list.iter_mut().find(|o| o.id == id)) {
        o.created_timestamp = chrono::Utc::now().timestamp() + 365 * 86_400;
        o.created = datetime(o.created_timestamp);
    }
    let garbled = s.faults.garbled_created_order.and_then(|id| list.iter().position(|o| o.id == id));
    if garbled.is_some() || (s.faults.wrong_type_row && !list.is_empty()) {
        let mut list: Vec<Value> =
            list.iter().map(|o| serde_json::to_value(o).unwrap_or(Value::Null)).collect();
        if let Some(k) = garbled {
            list[k]["created_timestamp"] = json!("soon");
            list[k]["created"] = json!("soon");
        }
        return page(s, path, q, count, list);
    }
    let body = PageOut {
        data: DataOut { count, list: &list },
        pagination: pagination(s, path, q, count),
        error_message: "",
        error_code: 0,
    };
    Json(body).into_response()
}

fn pagination(s: &SimState, path: &str, q: &HashMap<String, String>, count: u64) -> Value {
    let limit = num(q, "limit").unwrap_or(100).clamp(1, 1000);
    let offset = num(q, "offset").unwrap_or(0).max(0);
    let more = (offset + limit) < count as i64;
    let next = if more {
        let mut q2: Vec<(String, String)> = q.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        q2.retain(|(k, _)| k != "offset");
        q2.push(("offset".into(), (offset + limit).to_string()));
        let qs: Vec<String> = q2.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}{path}?{}", s.base_url, qs.join("&"))
    } else {
        String::new()
    };
    json!({"prev_page_href": "", "next_page_href": next, "offset": offset, "limit": limit})
}

fn bad_request(msg: &str) -> Response {
    envelope_error(StatusCode::BAD_REQUEST, 400, msg)
}

async fn list_orders(call: AdminCall) -> Response {
    let q = &call.q;
    call.answer("/adminapi/v2/orders", |s| {
        let d = &s.data;
        let limit = num(q, "limit").unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return bad_request("limit must be between 1 and 1000");
        }
        let offset = num(q, "offset").unwrap_or(0).max(0) as u64;
        let with_update = q.get("include").is_some_and(|v| v.split(',').any(|x| x == "last_update"));
        let visible = d.visible_count();
        if let Some(ids) = q.get("ids").filter(|v| !v.is_empty()) {
            let found: Vec<u64> = ids
                .split(',')
                .filter_map(|x| x.trim().parse::<i64>().ok())
                .filter_map(|id| d.order_index(id))
                .collect();
            let n = found.len() as u64;
            let list = found
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|i| order_out(d, d.order(i), with_update))
                .collect();
            return order_page(s, "/adminapi/v2/orders", q, n, list);
        }
        let lo = num(q, "created_from").map(|t| d.index_created_from(t)).unwrap_or(0).min(visible);
        let hi =
            num(q, "created_to").map(|t| d.index_created_after(t)).unwrap_or(visible).min(visible).max(lo);
        let status = q.get("order_status").filter(|v| !v.is_empty()).cloned();
        let services: Option<Vec<i64>> = q
            .get("service_ids")
            .filter(|v| !v.is_empty())
            .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect());
        let user = q.get("user").filter(|v| !v.is_empty()).cloned();
        let asc = q.get("sort").map(String::as_str) == Some("date-asc");
        let filtered = status.is_some() || services.is_some() || user.is_some();
        let keep = |o: &Order| {
            status.as_deref().is_none_or(|st| o.status == st)
                && services.as_ref().is_none_or(|sv| sv.contains(&(FIRST_SERVICE_ID + o.service as i64)))
                && user.as_deref().is_none_or(|u| d.users[o.user].username == u)
        };
        let idx = |k: u64| if asc { lo + k } else { hi - 1 - k };
        let (count, list) = if !filtered {
            let n = hi - lo;
            let list = (offset..n.min(offset + limit as u64))
                .map(|k| order_out(d, d.order(idx(k)), with_update))
                .collect();
            (n, list)
        } else {
            let mut n = 0u64;
            let mut list = Vec::new();
            for k in 0..(hi - lo) {
                let o = d.order(idx(k));
                if keep(&o) {
                    if n >= offset && list.len() < limit as usize {
                        list.push(order_out(d, o, with_update));
                    }
                    n += 1;
                }
            }
            (n, list)
        };
        order_page(s, "/adminapi/v2/orders", q, count, list)
    })
    .await
}

async fn one_order(Path(id): Path<String>, call: AdminCall) -> Response {
    call.answer("/adminapi/v2/orders/{id}", |s| {
        let d = &s.data;
        match id.parse::<i64>().ok().and_then(|id| d.order_index(id)) {
            Some(i) => {
                let o = d.order(i);
                let mut v = order_json(d, &o, true);
                v["actions"] = crate::writes::actions(d, &o);
                Json(json!({"data": v, "error_code": 0, "error_message": ""})).into_response()
            }
            None => envelope_error(StatusCode::NOT_FOUND, 404, "Order not found"),
        }
    })
    .await
}

async fn list_users(call: AdminCall) -> Response {
    let q = &call.q;
    call.answer("/adminapi/v2/users", |s| {
        let (limit, offset) = call.paging();
        let rows: Vec<&crate::data::User> = s
            .data
            .users
            .iter()
            .rev()
            .filter(|u| q.get("username").is_none_or(|n| n.is_empty() || &u.username == n))
            .filter(|u| q.get("email").is_none_or(|e| e.is_empty() || &u.email == e))
            .collect();
        let list = rows
            .iter()
            .skip(offset)
            .take(limit)
            .map(|u| {
                let mut v = json!({
                    "id": u.id, "username": u.username, "email": u.email, "balance": money(u.balance),
                    "spent": money(u.spent), "status": u.status, "created": datetime(u.created),
                    "created_timestamp": u.created,
                    "last_auth": u.last_auth.map(datetime), "last_auth_timestamp": u.last_auth,
                });
                if let Some(dsc) = u.discount {
                    v["discount"] = json!(dsc.to_string());
                }
                v
            })
            .collect();
        page(s, "/adminapi/v2/users", q, rows.len() as u64, list)
    })
    .await
}

async fn list_payments(call: AdminCall) -> Response {
    let q = &call.q;
    call.answer("/adminapi/v2/payments", |s| {
        let (limit, offset) = call.paging();
        let d = &s.data;
        let rows: Vec<_> = d
            .payments
            .iter()
            .rev()
            .filter(|p| p.created <= d.now)
            .filter(|p| q.get("payment_status").is_none_or(|v| v.is_empty() || p.status == v))
            .filter(|p| q.get("username").is_none_or(|v| v.is_empty() || &d.users[p.user].username == v))
            .collect();
        let list = rows
            .iter()
            .skip(offset)
            .take(limit)
            .enumerate()
            .map(|(k, p)| {
                // Both shapes real panels send: `user` as an object or a string, `payment_id` or `id`.
                let user = if p.id % 2 == 0 {
                    json!({"username": d.users[p.user].username})
                } else {
                    json!(d.users[p.user].username)
                };
                let mut v = json!({
                    "user": user, "amount": money(p.amount), "method": p.method, "status": p.status,
                    "memo": p.memo, "created": datetime(p.created), "created_timestamp": p.created,
                    "updated": datetime(p.updated),
                });
                if k % 3 == 0 {
                    v["id"] = json!(p.id)
                } else {
                    v["payment_id"] = json!(p.id.to_string())
                }
                v
            })
            .collect();
        page(s, "/adminapi/v2/payments", q, rows.len() as u64, list)
    })
    .await
}

fn ticket_json(s: &SimState, t: &crate::data::Ticket) -> Value {
    let d = &s.data;
    let mut v = json!({
        "id": t.id, "user": {"username": d.users[t.user].username}, "subject": t.subject, "status": t.status,
        "assignee": t.assignee, "created": datetime(t.created), "created_timestamp": t.created, "is_read": t.status != "pending",
    });
    if !s.faults.tickets_without_last_update {
        v["last_update"] = json!(datetime(t.last_update(d.now)));
        v["last_update_timestamp"] = json!(t.last_update(d.now));
    }
    v
}

async fn list_tickets(call: AdminCall) -> Response {
    let q = &call.q;
    call.answer("/adminapi/v2/tickets", |s| {
        let (limit, offset) = call.paging();
        let d = &s.data;
        let rows: Vec<_> = d.tickets.iter().rev().filter(|t| t.created <= d.now).collect();
        let list = rows.iter().skip(offset).take(limit).map(|t| ticket_json(s, t)).collect();
        page(s, "/adminapi/v2/tickets", q, rows.len() as u64, list)
    })
    .await
}

async fn one_ticket(Path(id): Path<String>, call: AdminCall) -> Response {
    call.answer("/adminapi/v2/tickets/{id}", |s| {
        let d = &s.data;
        let Some(t) = id.parse::<i64>().ok().and_then(|id| d.tickets.iter().find(|t| t.id == id && t.created <= d.now)) else {
            return envelope_error(StatusCode::NOT_FOUND, 404, "Ticket not found");
        };
        let mut v = ticket_json(s, t);
        if s.faults.ticket_without_messages == Some(t.id) {
            return Json(json!({"data": v, "error_code": 0, "error_message": ""})).into_response();
        }
        v["messages"] = t
            .messages
            .iter()
            .filter(|m| m.created <= d.now)
            .map(|m| json!({"sender_name": m.sender_name, "is_staff": m.is_staff, "message": m.message, "created": datetime(m.created), "created_timestamp": m.created}))
            .collect();
        Json(json!({"data": v, "error_code": 0, "error_message": ""})).into_response()
    })
    .await
}

async fn reply_ticket(Path(id): Path<String>, call: AdminCall, Json(body): Json<Value>) -> Response {
    call.answer("/adminapi/v2/tickets/{id}/reply", |s| {
        let now = s.data.now;
        let Some(t) = id.parse::<i64>().ok().and_then(|id| s.data.tickets.iter_mut().find(|t| t.id == id))
        else {
            return envelope_error(StatusCode::NOT_FOUND, 404, "Ticket not found");
        };
        let Some(message) = body.get("message").and_then(Value::as_str).filter(|m| !m.trim().is_empty())
        else {
            return bad_request("message is required");
        };
        let staff = body.get("staff_name").and_then(Value::as_str).unwrap_or("Support");
        t.messages.push(Message {
            sender_name: staff.into(),
            is_staff: true,
            message: message.into(),
            created: now.max(t.last_update(now)),
        });
        t.status = "answered";
        Json(json!({"data": {"id": t.id}, "error_code": 0, "error_message": ""})).into_response()
    })
    .await
}

async fn public_api(
    State(st): State<Arc<Mutex<SimState>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let key = form.get("key").cloned();
    let action = form.get("action").cloned().unwrap_or_default();
    {
        let mut s = lock(&st);
        if s.faults.public_error > 0 && key.as_deref() == Some(s.services_key.as_str()) {
            s.faults.public_error -= 1;
            return Json(json!({"error": "Service list is temporarily unavailable"})).into_response();
        }
    }
    answer(&st, "/api/v2", key.as_deref(), true, |s| match action.as_str() {
        "services" if s.rival.is_some() => {
            let list = s.rival.map(|r| r.catalogue(s.data.now)).unwrap_or_default();
            Json(Value::Array(list)).into_response()
        }
        "services" if s.faults.empty_services => Json(json!([])).into_response(),
        "services" => {
            let list: Vec<Value> = crate::catalog::SERVICES
                .iter()
                .enumerate()
                .map(|(i, sv)| {
                    json!({
                        "service": FIRST_SERVICE_ID + i as i64, "name": s.data.service_name(i), "type": sv.kind, "category": sv.category,
                        "rate": format!("{:.4}", sv.rate), "min": sv.min.to_string(), "max": sv.max.to_string(),
                        "refill": sv.refill, "cancel": sv.cancel, "dripfeed": false,
                    })
                })
                .collect();
            Json(Value::Array(list)).into_response()
        }
        "balance" => Json(json!({"balance": "1520.84", "currency": "USD"})).into_response(),
        "status" => {
            let d = &s.data;
            let one = |id: &str| -> Value {
                match id.trim().parse::<i64>().ok().and_then(|id| d.order_index(id)) {
                    Some(i) => {
                        let o = d.order(i);
                        let title = match o.status {
                            "in_progress" => "In progress".to_string(),
                            other => format!("{}{}", other[..1].to_uppercase(), &other[1..]),
                        };
                        json!({"charge": money(o.charge)["value"], "start_count": o.start_count.to_string(), "status": title, "remains": o.remains.to_string(), "currency": "USD"})
                    }
                    None => json!({"error": "Incorrect order ID"}),
                }
            };
            if let Some(ids) = form.get("orders") {
                let map: serde_json::Map<String, Value> = ids.split(',').take(100).map(|id| (id.trim().to_string(), one(id))).collect();
                Json(Value::Object(map)).into_response()
            } else {
                Json(one(form.get("order").map(String::as_str).unwrap_or(""))).into_response()
            }
        }
        _ => Json(json!({"error": "Incorrect request"})).into_response(),
    })
    .await
}
