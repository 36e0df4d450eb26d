//! What every report shares: query parameters read with clear 400s, the JSON envelope, the
//! "How to read this report" panel, window tabs, small SVG charts, the activity log and service names.

use std::collections::{BTreeMap, HashMap};

use axum::response::{IntoResponse, Response};
use libsql::params;
use maud::{html, Markup};
use serde::Serialize;
use serde_json::{json, Value};
use shared::db::Conn;

use shared::auth::{PanelScope, Viewer};
use shared::ui::link;
use shared::{AppError, AppResult, AppState};

/// Query parameters as given (repeated names allowed); unknown names are ignored.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

/// A report request: who asks, with which query (parsed, and as sent for links that repeat it).
pub struct Ask {
    pub state: AppState,
    pub viewer: Viewer,
    pub q: Params,
    pub raw: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for Ask {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> AppResult<Ask> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let raw = parts.uri.query().map(str::to_string);
        Ok(Ask { state: state.clone(), viewer, q: Params::parse(raw.as_deref())?, raw })
    }
}

impl Params {
    pub fn parse(raw: Option<&str>) -> AppResult<Params> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
            .map(Params)
            .map_err(|_| AppError::bad_request("The query string could not be read."))
    }
    /// A non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }
    /// A whole number within `range`, or a 400 naming the parameter.
    pub fn int(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> AppResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if range.contains(&n) => Ok(Some(n)),
                _ => Err(AppError::bad_request(format!(
                    "{name} must be a whole number from {} to {}.",
                    range.start(),
                    range.end()
                ))),
            },
        }
    }
    /// A decimal number within `range`, or a 400 naming the parameter.
    pub fn float(&self, name: &str, range: std::ops::RangeInclusive<f64>) -> AppResult<Option<f64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() && range.contains(&n) => Ok(Some(n)),
                _ => Err(AppError::bad_request(format!(
                    "{name} must be a number from {} to {}.",
                    range.start(),
                    range.end()
                ))),
            },
        }
    }
    /// A money amount in dollars (decimal string) as micro-units.
    pub fn money(&self, name: &str) -> AppResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match shared::pp::money::parse_decimal(v) {
                Some(m) if m >= 0 => Ok(Some(m)),
                _ => Err(AppError::bad_request(format!("{name} must be an amount like 25 or 12.50."))),
            },
        }
    }
}

/// The window in hours: `window_hours`, 1 to 2160 (90 days).
pub fn window_hours(p: &Params, default: i64) -> AppResult<i64> {
    Ok(p.int("window_hours", 1..=2160)?.unwrap_or(default))
}

/// Money in a report's JSON: a decimal string ("12.5", "-2.00"), exact to the micro-unit.
pub fn as_money<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&shared::pp::money::format(*v))
}

/// [`as_money`], or null.
pub fn as_opt_money<S: serde::Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(m) => as_money(m, s),
        None => s.serialize_none(),
    }
}

/// The Perfect Panel style envelope around a list; `extra` fields are added to `data`.
pub fn envelope<T: Serialize>(list: &[T], extra: Option<(&str, Value)>) -> Response {
    let mut data = json!({ "count": list.len(), "list": list });
    if let (Some((k, v)), Some(obj)) = (extra, data.as_object_mut()) {
        obj.insert(k.to_string(), v);
    }
    axum::Json(json!({ "data": data, "error_code": 0, "error_message": "" })).into_response()
}

/// The "How to read this report" panel above the table: folded, so the numbers come first; one click
/// (or Enter on its summary) opens it.
pub fn explain(body: Markup) -> Markup {
    html! {
        details.card.explain {
            summary { strong { "How to read this report" } }
            (body)
        }
    }
}

/// The console's window tabs (Last 2h … 72h), for every report that names no windows of its own.
pub const WINDOW_TABS: &[i64] = &[2, 6, 12, 24, 48, 72];

/// Window tabs (each a link keeping the other parameters) and a custom-hours form.
pub fn window_tabs(
    viewer: &Viewer,
    path: &str,
    hours: &[i64],
    current: i64,
    keep: &[(&str, String)],
) -> Markup {
    let href = |h: i64| {
        let mut q: Vec<(&str, String)> = keep.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        q.push(("window_hours", h.to_string()));
        link(viewer, &format!("{path}?{}", serde_urlencoded::to_string(&q).unwrap_or_default()))
    };
    html! {
        nav.tabs aria-label="Window" {
            @for h in hours {
                a href=(href(*h)) aria-current=[(*h == current).then_some("page")] { "Last " (h) "h" }
            }
            form.inline method="get" action=(path) {
                @for (k, v) in keep { @if !v.is_empty() { input type="hidden" name=(k) value=(v); } }
                @if let Some(p) = viewer.panel { input type="hidden" name="panel" value=(p); }
                label { "Custom h… "
                    input type="number" name="window_hours" min="1" max="2160" value=(current) aria-label="Custom window in hours"; }
                button.secondary type="submit" { "Show" }
            }
        }
    }
}

/// The filters of a report run by a profile: the profile picker (it submits on change; Show without
/// JavaScript), a link to the profiles, and `summary`, what the chosen profile sets.
pub struct ProfileFilters<'a> {
    pub path: &'a str,
    pub window_hours: i64,
    /// (id, name, is_default) of every profile.
    pub profiles: Vec<(i64, &'a str, bool)>,
    pub chosen: i64,
    pub profiles_path: &'a str,
}

impl ProfileFilters<'_> {
    pub fn form(&self, viewer: &Viewer, summary: Markup) -> Markup {
        html! {
            form.filters method="get" action=(self.path) {
                @if let Some(pn) = viewer.panel { input type="hidden" name="panel" value=(pn); }
                input type="hidden" name="window_hours" value=(self.window_hours);
                div { label for="profile" { "Profile" }
                    select #profile name="profile" data-autosubmit {
                        @for (id, name, is_default) in &self.profiles {
                            option value=(id) selected[*id == self.chosen] { (name) @if *is_default { " (default)" } }
                        }
                    } }
                noscript { button type="submit" { "Show" } }
                a href=(link(viewer, self.profiles_path)) { "Profiles" }
                span.muted { (summary) }
            }
        }
    }
}

/// A report's data links: its `.json` and its CSV export, with the page's query.
pub fn data_links(path: &str, raw: Option<&str>) -> Markup {
    let json = format!("{path}.json{}", raw.map(|r| format!("?{r}")).unwrap_or_default());
    html! { a href=(json) { "JSON" } " · " (crate::exports::link(path, raw)) }
}

/// `href` with query pairs, keeping the viewer's panel.
pub fn href(viewer: &Viewer, path: &str, q: &[(&str, String)]) -> String {
    let q: Vec<&(&str, String)> = q.iter().filter(|(_, v)| !v.is_empty()).collect();
    if q.is_empty() {
        link(viewer, path)
    } else {
        link(viewer, &format!("{path}?{}", serde_urlencoded::to_string(&q).unwrap_or_default()))
    }
}

/// Records a write action in the activity log.
pub use shared::audit::log;

/// Most ids a profile lists: each report inlines them in its queries.
pub const MAX_IDS: usize = 1000;

/// A comma/space separated list of ids, in the order given without repeats; a 400-worthy message
/// when any part is not a positive id, or when there are more than [`MAX_IDS`].
pub fn parse_ids(text: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for part in text.split([',', ' ', '\n', '\r', '\t']).filter(|s| !s.is_empty()) {
        match part.parse::<i64>() {
            Ok(n) if n > 0 => {
                if seen.insert(n) {
                    out.push(n);
                }
                if out.len() > MAX_IDS {
                    return Err(format!("List at most {MAX_IDS} ids."));
                }
            }
            _ => return Err(format!("\"{part}\" is not an id: list whole numbers separated by commas.")),
        }
    }
    Ok(out)
}

pub fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

/// Rounds to two decimals for display and JSON (decisions use the exact value).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Escapes text for an SVG `<title>` built by hand.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A small line chart of `points` (None = no data that day) on a 0–`max` scale, as inline SVG.
pub fn sparkline(points: &[Option<f64>], max: f64, label: &str) -> Markup {
    let (w, h) = (120.0, 24.0);
    let n = points.len().max(2) as f64;
    let step = w / (n - 1.0);
    let mut path = String::new();
    let mut dots = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(v) => {
                let x = i as f64 * step;
                let y = h - 2.0 - (v.clamp(0.0, max) / max) * (h - 4.0);
                path.push_str(&format!("{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" }));
                dots.push_str(&format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.6\"/>"));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let svg = format!(
        "<svg class=\"spark\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{l}\"><title>{l}</title><path d=\"{path}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"/><g fill=\"currentColor\">{dots}</g></svg>",
        l = esc(label)
    );
    shared::ui::layout::raw(&svg)
}

/// Horizontal bars: one per (label, value), scaled to the largest; `unit` follows each value.
pub fn bars(title: &str, items: &[(String, f64)], unit: &str) -> Markup {
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max).max(1e-9);
    let (w, row) = (360.0, 18.0);
    let label_w = 110.0;
    let h = row * items.len() as f64 + 4.0;
    let mut body = String::new();
    for (k, (label, v)) in items.iter().enumerate() {
        let y = k as f64 * row + 2.0;
        let bw = (v / max) * (w - label_w - 70.0);
        let short: String = label.chars().take(16).collect();
        body.push_str(&format!(
            "<text x=\"0\" y=\"{ty:.1}\" font-size=\"11\">{l}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh}\" rx=\"2\" fill=\"currentColor\" opacity=\"0.7\"/><text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"11\">{v} {u}</text>",
            ty = y + 11.0,
            l = esc(&short),
            bh = row - 5.0,
            tx = label_w + bw + 4.0,
            v = round2(*v),
            u = esc(unit)
        ));
    }
    let svg = format!(
        "<svg class=\"bars\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>{body}</svg>",
        t = esc(title)
    );
    html! { figure.chart { figcaption { (title) } (shared::ui::layout::raw(&svg)) } }
}

/// The rows of a result set as `Vec<T>` via `f`.
pub async fn collect<T>(
    mut rows: shared::db::Rows,
    mut f: impl FnMut(&shared::db::Row) -> AppResult<T>,
) -> AppResult<Vec<T>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        out.push(f(&r)?);
    }
    Ok(out)
}

/// The rows of `sql(list)` for each chunk of 500 `ids` (`list`: those ids, comma separated), so a
/// lookup by id stays small however many ids a report holds.
pub async fn in_chunks<T>(
    conn: &Conn,
    ids: &[i64],
    sql: impl Fn(&str) -> String,
    mut read: impl FnMut(&shared::db::Row) -> AppResult<T>,
) -> AppResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let rows = conn.query(&sql(&list), ()).await?;
        out.extend(collect(rows, &mut read).await?);
    }
    Ok(out)
}

/// A window `[from, to]` cut for a roll-up of `size`-second buckets: the whole buckets inside it
/// (`first..end`, bucket numbers = time / size) and the partial ones at its two ends, which a report
/// reads from the rows themselves (`head` and `tail`, half-open time ranges), so its edges are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buckets {
    pub first: i64,
    pub end: i64,
    pub head: (i64, i64),
    pub tail: (i64, i64),
}

impl Buckets {
    pub fn cut(from: i64, to: i64, size: i64) -> Buckets {
        let first = from.div_euclid(size) + i64::from(from.rem_euclid(size) != 0);
        let end = (to + 1).div_euclid(size);
        if first >= end {
            // No whole bucket inside: the window is all edge.
            Buckets { first: 0, end: 0, head: (from, to + 1), tail: (0, 0) }
        } else {
            Buckets { first, end, head: (from, first * size), tail: (end * size, to + 1) }
        }
    }

    /// The two edges as conditions on `column` (SQL, bounds inlined): a query reads each as its own
    /// range (one `OR` of both would read every row between them).
    pub fn edges_sql(&self, column: &str) -> [String; 2] {
        [self.head, self.tail].map(|(a, b)| format!("{column} >= {a} AND {column} < {b}"))
    }
}

/// Seconds as "3m 05s", "2h 10m", "45s".
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The scope with "all panels" spelled out as the list of panel ids: `panel_id IN (…)` lets SQLite seek
/// each panel's slice of an index on (panel_id, time) instead of scanning the whole index.
pub async fn explicit(conn: &shared::db::Conn, scope: &PanelScope) -> AppResult<PanelScope> {
    match scope {
        PanelScope::All => {
            let rows = conn.query("SELECT id FROM panels ORDER BY id", ()).await?;
            Ok(PanelScope::Only(collect(rows, |r| Ok(r.get::<i64>(0)?)).await?))
        }
        only => Ok(only.clone()),
    }
}

/// Names from the catalogue, else from the cached orders: one query per panel for the catalogue,
/// one per service only for services the catalogue lacks.
pub async fn service_names(conn: &Conn, keys: &[(i64, i64)]) -> AppResult<HashMap<(i64, i64), String>> {
    let mut out = HashMap::new();
    let mut by_panel: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (panel, sid) in keys {
        by_panel.entry(*panel).or_default().push(*sid);
    }
    for (panel, sids) in &by_panel {
        let names = in_chunks(
            conn,
            sids,
            |list| format!("SELECT id, name FROM services_cache WHERE panel_id = {panel} AND id IN ({list})"),
            |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
        )
        .await?;
        out.extend(names.into_iter().map(|(id, name)| ((*panel, id), name)));
    }
    for key in keys.iter().filter(|k| !out.contains_key(k)).copied().collect::<Vec<_>>() {
        let rows = conn
            .query(
                "SELECT service_name FROM orders_cache WHERE panel_id = ?1 AND service_id = ?2 AND service_name IS NOT NULL LIMIT 1",
                params![key.0, key.1],
            )
            .await?;
        if let Some(n) = collect(rows, |r| r.get::<String>(0).map_err(Into::into)).await?.into_iter().next() {
            out.insert(key, n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_whole_buckets_and_two_exact_edges() {
        // 10:30:00 to 13:15:00 → hours 11 and 12 whole, edges 10:30–11:00 and 13:00–13:15:00 inclusive.
        let b = Buckets::cut(10 * 3600 + 1800, 13 * 3600 + 900, 3600);
        assert_eq!((b.first, b.end), (11, 13));
        assert_eq!(b.head, (10 * 3600 + 1800, 11 * 3600));
        assert_eq!(b.tail, (13 * 3600, 13 * 3600 + 901));
        // Aligned ends: no edge at the start; the last second of the window is its own edge.
        let b = Buckets::cut(3600, 3 * 3600 - 1, 3600);
        assert_eq!((b.first, b.end, b.head.0 == b.head.1, b.tail.0 == b.tail.1), (1, 3, true, true));
        // Inside one bucket: all edge.
        let b = Buckets::cut(100, 200, 3600);
        assert_eq!((b.first, b.end, b.head, b.tail), (0, 0, (100, 201), (0, 0)));
    }

    #[test]
    fn ids_keep_their_order_without_repeats_and_have_a_limit() {
        assert_eq!(parse_ids("3, 1 3\n2"), Ok(vec![3, 1, 2]));
        assert!(parse_ids("1,x").unwrap_err().contains("\"x\" is not an id"));
        let many: Vec<String> = (1..=MAX_IDS as i64 + 1).map(|i| i.to_string()).collect();
        assert_eq!(parse_ids(&many.join(",")), Err(format!("List at most {MAX_IDS} ids.")));
        assert_eq!(parse_ids(&many[..MAX_IDS].join(",")).map(|v| v.len()), Ok(MAX_IDS));
    }
}
