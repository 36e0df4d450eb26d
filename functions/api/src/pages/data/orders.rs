//! Orders: the cached orders of every panel in view, newest first, filterable and searchable, with a
//! detail page and copy-the-selection tools.

use axum::extract::State;
use libsql::Value;
use maud::{html, Markup};
use shared::auth::InScope;

use shared::auth::Viewer;
use shared::db::rows::opt_text;
use shared::db::{Reads, Stmt, Where};
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, num};
use shared::{AppError, AppResult, AppState};

use super::cursor::Cursor;

const PAGE: usize = 50;
const FILTERS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("mode", "Mode"),
    ("source", "Source"),
    ("service", "Service"),
    ("provider", "Provider"),
    ("from", "Created from"),
    ("to", "Created to"),
    ("refill", "Refill"),
    ("q", "Search"),
];

use shared::cache::orders::OrderStatus;
pub use shared::cache::orders::{Order, COLUMNS};

/// An order of the list or page, read with `COLUMNS`.
pub fn order_from(r: &shared::db::Row) -> AppResult<Order> {
    Order::from_row(r)
}

/// The WHERE clause of the list's filters (the panel scope included).
pub(super) fn conditions(viewer: &Viewer, q: &ListQuery) -> AppResult<Where> {
    let mut w = Where::new(viewer.panel_sql("panel_id"));
    if let Some(s) = q.get("status") {
        if OrderStatus::parse(s).is_none() && !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(AppError::bad_request("Status is not a known order status."));
        }
        w.bind("status = ?", s);
    }
    if let Some(m) = q.choice("mode", "Mode", &["auto", "manual"])? {
        w.bind("mode = ?", m);
    }
    if let Some(s) = q.choice("source", "Source", &["web", "api"])? {
        w.bind("creation_type = ?", s);
    }
    if let Some(s) = q.int("service", "Service")? {
        w.bind("service_id = ?", s);
    }
    if let Some(p) = q.get("provider") {
        w.bind("provider = ?", p);
    }
    super::created_range(&mut w, q)?;
    if let Some(term) = q.get("q") {
        search(term, &mut w);
    }
    Ok(w)
}

/// Search by order id, external id, link (exact or prefix) or username, whichever the text can be.
fn search(term: &str, w: &mut Where) {
    let mut alts = vec!["external_id = ?", "user = ?"];
    let mut args = vec![Value::Text(term.into()), Value::Text(term.into())];
    if let Ok(id) = term.trim_start_matches('#').parse::<i64>() {
        alts.push("id = ?");
        args.push(Value::Integer(id));
    }
    if term.contains('/') || term.contains('.') {
        // A prefix range keeps the link index usable (LIKE would scan).
        alts.push("(link >= ? AND link < ?)");
        args.push(Value::Text(term.into()));
        args.push(Value::Text(format!("{term}\u{10FFFF}")));
    }
    w.bind_all(&alts.join(" OR "), args);
}

/// The `refill=eligible` condition: delivered orders still inside their service's refill window, the
/// windows read from the catalogue's names (one read).
async fn refill_condition(conn: &shared::db::Conn, viewer: &Viewer, w: &mut Where) -> AppResult<()> {
    let sql = format!("SELECT panel_id, id, name FROM services_cache WHERE {}", viewer.panel_sql("panel_id"));
    let services = shared::db::read_all(conn, |r| {
        r.add(Stmt::new(sql, ()), |row| Ok((row.get(0)?, row.get(1)?, row.get::<String>(2)?)))
    })
    .await?;
    w.cond(shared::domain::refill::eligible_sql(&services, shared::time::now()));
    Ok(())
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let mut w = conditions(&viewer, &q)?;
    let conn = state.db.connect().await?;
    if q.choice("refill", "Refill", &["eligible"])?.is_some() {
        refill_condition(&conn, &viewer, &mut w).await?;
    }
    let cursor = Cursor::parse(q.get("after"))?;
    if let Some(c) = &cursor {
        c.push_condition("created", &mut w);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM orders_cache WHERE {} ORDER BY created DESC, panel_id DESC, id DESC LIMIT {}",
        w.sql(),
        PAGE + 1
    );
    let mut reads = Reads::new();
    let list = reads.add(Stmt::new(sql, libsql::params_from_iter(w.args)), order_from);
    let providers = super::distinct(&mut reads, &viewer, "orders_cache", "provider");
    let services = super::services_in_view(&mut reads, &viewer);
    let mut done = reads.run(&conn).await?;
    let mut orders = done.all(list).await?;
    let (providers, services) = (done.all(providers).await?, done.all(services).await?);
    let more = orders.len() > PAGE;
    orders.truncate(PAGE);
    // Read once, not once per option (a catalogue has hundreds).
    let chosen_service: Option<i64> = q.get("service").and_then(|v| v.trim().parse().ok());

    let next = more
        .then(|| {
            orders
                .last()
                .map(|o| q.href("/orders", &[], &[("after", Cursor::of(o.created, o.panel_id, o.id))]))
        })
        .flatten();
    let first = cursor.is_some().then(|| q.href("/orders", &["after"], &[]));
    let chips = q.chips("/orders", FILTERS, &["after"]);
    let mut tabs =
        vec![("All".to_string(), q.href("/orders", &["status", "after"], &[]), q.get("status").is_none())];
    for s in OrderStatus::ALL.map(OrderStatus::as_str) {
        tabs.push((
            label(s),
            q.href("/orders", &["after"], &[("status", s.to_string())]),
            q.get("status") == Some(s),
        ));
    }
    let rows: Vec<Markup> = orders.iter().map(|o| row(&viewer, o)).collect();
    let content = html! {
        (ui::tabs(&tabs))
        form.filters method="get" action="/orders" {
            (q.hidden(&["panel", "status"]))
            (ui::search_field(q.get("q").unwrap_or(""), "Order id, external id, link or username"))
            div { label for="f-mode" { "Mode" }
                select #f-mode name="mode" {
                    option value="" { "Any" }
                    @for m in ["auto", "manual"] { option value=(m) selected[q.get("mode") == Some(m)] { (m) } }
                } }
            div { label for="f-source" { "Source" }
                select #f-source name="source" {
                    option value="" { "Any" }
                    @for m in ["web", "api"] { option value=(m) selected[q.get("source") == Some(m)] { (m) } }
                } }
            div { label for="f-service" { "Service" }
                select #f-service name="service" {
                    option value="" { "Any service" }
                    @for (id, name) in &services {
                        option value=(id) selected[chosen_service == Some(*id)] { (id) " · " (ui::cut(name, 50)) }
                    }
                } }
            div { label for="f-provider" { "Provider" }
                select #f-provider name="provider" {
                    option value="" { "Any provider" }
                    @for p in &providers { option value=(p) selected[q.get("provider") == Some(p.as_str())] { (p) } }
                } }
            div { label for="f-refill" { "Refill" }
                select #f-refill name="refill" {
                    option value="" { "Any" }
                    option value="eligible" selected[q.get("refill") == Some("eligible")] { "Inside the refill window" }
                } }
            div { label for="f-from" { "Created from" } input #f-from type="date" name="from" value=(q.get("from").unwrap_or("")); }
            div { label for="f-to" { "to" } input #f-to type="date" name="to" value=(q.get("to").unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, &q.href("/orders", &["after", "status", "mode", "source", "service", "provider", "from", "to", "refill", "q"], &[])))
        p.exports { (shared::export::link(&q.href("/orders.csv", &["after"], &[]))) }
        form method="get" action="/orders/selection" data-selection {
            (super::selection_bar())
            input type="hidden" name="back" value=(q.href("/orders", &[], &[]));
            (ui::actions::bulk_buttons(&viewer))
            (ui::table(&[col(""), col("ID"), col("User"), num("Charge"), col("Link"), num("Start count"), num("Quantity"),
                col("Service"), col("Status"), num("Remains"), col("Created"), col("Mode")], &rows,
                if chips.is_empty() { ui::nothing_cached("orders") }
                else { ui::empty_state("No orders match these filters.", Some(("/orders", "Clear filters"))) }))
        }
        (ui::pager(first.as_deref(), next.as_deref()))
    };
    Ok(ui::page(&viewer, "Orders", content))
}

fn label(status: &str) -> String {
    let s = status.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn row(viewer: &Viewer, o: &Order) -> Markup {
    let detail = format!("/orders/{}/{}", o.panel_id, o.id);
    html! {
        tr {
            td { input type="checkbox" name="sel" value={ (o.panel_id) ":" (o.id) } aria-label={ "Select order " (o.id) }
                data-id=(o.id) data-external=(o.external_id.as_deref().unwrap_or("")) data-link=(o.link.as_deref().unwrap_or("")); }
            td { a href=(detail) { (o.id) }
                @if viewer.panel.is_none() && viewer.panels.len() > 1 { br; span.muted { (viewer.panel_name(o.panel_id)) } } }
            td { @if o.user.is_some() { (super::user_link(o.panel_id, o.user.as_deref(), 24)) } }
            td.num { (ui::money(o.charge, o.currency.as_deref())) }
            td.link { @if let Some(l) = &o.link { (super::safe_link(l, 40)) } }
            td.num { (ui::opt_num(o.start_count)) }
            td.num { (ui::opt_num(o.quantity)) }
            td { @if let Some(id) = o.service_id { span.muted { (id) " · " } } (ui::cut(o.service_name.as_deref().unwrap_or(""), 40)) }
            td { (ui::status_label(&o.status)) }
            td.num { (ui::opt_num(o.remains)) }
            td { (ui::time(o.created)) }
            td { (o.mode.as_deref().unwrap_or("")) }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// One order with everything the list leaves out: external id, provider, its charge and the margin.
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    InScope((panel_id, id)): InScope<(i64, i64)>,
) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query(&format!("SELECT {COLUMNS} FROM orders_cache WHERE panel_id = ?1 AND id = ?2"), (panel_id, id))
        .await?;
    let Some(r) = rows.next().await? else { return Err(AppError::not_found("That order")) };
    let o = order_from(&r)?;
    let margin = o.charge.zip(o.provider_charge).map(|(c, p)| c - p);
    let cur = o.currency.as_deref();
    let now = shared::time::now();
    let refill = shared::domain::refill::Window::of(&o);
    let delivered = OrderStatus::FINISHED.iter().any(|s| s.as_str() == o.status);
    let content = html! {
        dl.facts {
            dt { "Panel" } dd { (viewer.panel_name(o.panel_id)) }
            dt { "Order" } dd { (o.id) " " (ui::copy_button(&o.id.to_string(), "Copy")) }
            dt { "External id" } dd { (o.external_id.as_deref().unwrap_or("—")) }
            dt { "User" } dd { (super::user_link(o.panel_id, o.user.as_deref(), 80)) }
            dt { "Status" } dd { (ui::status_label(&o.status)) }
            dt { "Service" } dd { (ui::opt_num(o.service_id)) " · " (o.service_name.as_deref().unwrap_or("")) }
            dt { "Refill" } dd data-refill=(if refill.open_at(now) && delivered { "eligible" } else { "no" }) {
                (refill.describe(now))
                @if refill.open_at(now) && !delivered {
                    span.muted { @if OrderStatus::is_final(&o.status) { " (not delivered: nothing to refill)" } @else { " (once delivered)" } }
                } }
            dt { "Provider" } dd { (o.provider.as_deref().unwrap_or("—")) }
            dt { "Link" } dd { @if let Some(l) = &o.link { (super::safe_link(l, 120)) } }
            dt { "Charge" } dd { (ui::money(o.charge, cur)) }
            dt { "Provider charge" } dd { (ui::money(o.provider_charge, cur)) }
            dt { "Margin" } dd { (ui::money(margin, cur))
                @if let (Some(m), Some(c)) = (margin, o.charge.filter(|c| *c > 0)) { " " span.muted { "("
                    (format!("{:.1}", m as f64 * 100.0 / c as f64)) "%)" } } }
            dt { "Quantity" } dd { (ui::opt_num(o.quantity)) }
            dt { "Start count" } dd { (ui::opt_num(o.start_count)) }
            dt { "Remains" } dd { (ui::opt_num(o.remains)) }
            dt { "Mode" } dd { (o.mode.as_deref().unwrap_or("—")) }
            dt { "Source" } dd { (o.creation_type.as_deref().unwrap_or("—")) }
            dt { "Created" } dd { (ui::time(o.created)) }
            dt { "Last update" } dd { (ui::opt_time(o.last_update)) }
        }
        (actions_box(&viewer, &o))
        p { a href=(ui::link(&viewer, "/orders")) { "← All orders" } }
    };
    Ok(ui::page(&viewer, &format!("Order {}", o.id), content))
}

/// Without JavaScript the selection opens here, ready to copy; with it, the bar copies in one click.
pub async fn selection(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let scope = viewer.scope();
    let conn = state.db.connect().await?;
    let (mut ids, mut externals, mut links) = (Vec::new(), Vec::new(), Vec::new());
    for sel in q.all("sel").into_iter().take(1000) {
        let Some((p, i)) =
            sel.split_once(':').and_then(|(p, i)| Some((p.parse::<i64>().ok()?, i.parse::<i64>().ok()?)))
        else {
            return Err(AppError::bad_request("The selection is malformed."));
        };
        if !scope.allows(p) {
            continue;
        }
        let mut rows = conn
            .query("SELECT external_id, link FROM orders_cache WHERE panel_id = ?1 AND id = ?2", (p, i))
            .await?;
        if let Some(r) = rows.next().await? {
            ids.push(i.to_string());
            externals.extend(opt_text(&r, 0)?);
            links.extend(opt_text(&r, 1)?);
        }
    }
    let block = |title: &str, items: &[String]| {
        let text = items.join("\n");
        html! {
            section.copyblock {
                h2 { (title) " (" (items.len()) ") " (ui::copy_button(&text, "Copy")) }
                textarea readonly rows="6" aria-label=(title) { (text) }
            }
        }
    };
    let content = html! {
        @if ids.is_empty() { (ui::empty_state("No orders were selected.", Some(("/orders", "Back to orders")))) }
        @else {
            (block("IDs", &ids)) (block("External IDs", &externals)) (block("Links", &links))
        }
    };
    Ok(ui::page(&viewer, "Selected orders", content))
}

/// The order's actions the viewer may start, each opening its confirmation; those that do not apply
/// say why.
fn actions_box(viewer: &Viewer, o: &Order) -> Markup {
    use shared::domain::order_actions::{ActionKind, Params};
    let kinds: Vec<ActionKind> = ActionKind::ALL.into_iter().filter(|k| viewer.is(k.min_role())).collect();
    if kinds.is_empty() {
        return html! {};
    }
    let sel = format!("{}:{}", o.panel_id, o.id);
    let back = format!("/orders/{}/{}", o.panel_id, o.id);
    html! {
        section.actions aria-label="Actions" {
            h2 { "Actions" }
            form method="get" action=(ui::actions::CONFIRM_PATH) {
                input type="hidden" name="sel" value=(sel);
                input type="hidden" name="back" value=(back);
                @for k in &kinds {
                    @match k.refuses(o, &Params::default()) {
                        None => { button.secondary type="submit" name="action" value=(k.as_str()) { (k.label()) "…" } " " }
                        Some(why) => { button.secondary type="button" disabled title=(why) { (k.label()) } " " }
                    }
                }
            }
            p.help { "Each opens a confirmation first; nothing is sent before it." }
        }
    }
}
