//! The Providers page, its `.json` and `.csv`, and a provider's page: its services and the stuck and
//! failed orders behind its numbers.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::ui::{self, col, num};
use shared::{Access, AppResult, AppState, Routes};

use super::{orders, providers, ProviderOrder, ProviderParams, ProviderRow, NO_PROVIDER};
use crate::common::{data_links, envelope, explain, href, window_tabs, Ask, Params, WINDOW_TABS};
use crate::margins::Sums;
use crate::service_health::{pages::params_from as health_params, ServiceHealthParams};
use shared::export::{self, Cell};

const PATH: &str = "/reports/providers";
const DETAIL: &str = "/reports/providers/detail";
/// Orders listed per kind on a provider's page.
const LIST: usize = 100;

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    Routes::new(state)
        .get(PATH, v, page)
        .get("/reports/providers.json", v, json)
        .get("/reports/providers.csv", v, csv)
        .get(DETAIL, v, detail)
}

/// Service tracking's profile and overrides, the window defaulting to 24 h.
async fn params_from(conn: &shared::db::Conn, viewer: &Viewer, q: &Params) -> AppResult<ProviderParams> {
    let (_, health, _) = health_params(conn, viewer.panel, q).await?;
    Ok(ProviderParams::new(health))
}

async fn json(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let p = params_from(&conn, &viewer, &q).await?;
    let rows = providers(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    Ok(envelope(&rows, None))
}

/// One line per provider and currency (a provider with no money in the window: one line, no
/// currency): the provider's counts on each of its lines, its money in that currency beside it.
async fn csv(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let conn = state.db.connect().await?;
    let p = params_from(&conn, &viewer, &q).await?;
    let rows = providers(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for r in &rows {
        let panels: Vec<String> = r.panels.iter().map(|p| viewer.panel_name(*p)).collect();
        let line = |money: Option<&Sums>| {
            vec![
                export::text(name(&r.provider)),
                export::text(panels.join(", ")),
                export::int(r.services as i64),
                export::int(r.orders),
                export::int(r.failed),
                export::num(r.failed_pct),
                export::int(r.stuck),
                export::int(r.finished),
                export::num(r.slow_pct),
                export::num(r.median_speed_pct),
                export::opt_text(money.map(|s| s.currency.as_str())),
                export::money(money.map(|s| s.revenue)),
                export::money(money.map(|s| s.cost)),
                export::money(money.map(|s| s.margin)),
                export::num(r.score),
                export::text(r.status),
            ]
        };
        if r.money.is_empty() {
            cells.push(line(None));
        }
        cells.extend(r.money.iter().map(|s| line(Some(s))));
    }
    let header = &[
        "Provider",
        "Panels",
        "Services",
        "Orders",
        "Failed",
        "Failed %",
        "Stuck",
        "Finished",
        "Slow%",
        "Median speed",
        "Currency",
        "Revenue",
        "Cost",
        "Margin",
        "Score",
        "Status",
    ];
    Ok(export::whole_response("providers", header, &cells))
}

fn name(p: &str) -> &str {
    if p.is_empty() {
        NO_PROVIDER
    } else {
        p
    }
}

fn money_list(v: &[Sums], f: fn(&Sums) -> i64) -> Markup {
    html! {
        @if v.is_empty() { span.muted { "—" } }
        @for (i, s) in v.iter().enumerate() {
            @if i > 0 { br; }
            span class=[(f(s) < 0).then_some("neg")] { (ui::money(Some(f(s)), Some(s.currency.as_str()).filter(|c| !c.is_empty()))) }
        }
    }
}

fn how_to_read(h: &ServiceHealthParams) -> Markup {
    explain(html! {
        ul {
            li { "Orders and Failed: orders created in the last " strong { (h.window_hours) " hours" } " that went to the provider; failed = ended "
                code { "fail" } " or " code { "error" } " (as the Provider failing alert counts them)." }
            li { "Stuck: Service tracking's rule, now — open orders (pending, in progress, processing, awaiting) with remains > 0 created more than "
                strong { (h.stuck_after_hours) " hours" } " ago." }
            li { "Finished and Slow: Service tracking's numbers (last update in the window; slow = took longer than quantity ÷ promised speed × "
                (h.slow_multiplier) ") of the services whose newest order went to this provider." }
            li { "Median speed: the median, over the services the provider serves now, of each service's measured speed (the median units \
                per day of its orders completed in the last 7 days, as on the Services page) as a % of the speed the service promises; \
                100% kept the promise exactly. It covers the last 7 days whatever the window." }
            li { "Revenue, cost and margin: as in Margins (canceled and failed left out; margin only over orders with a provider charge), per currency." }
            li { "Score = 100 − min(60, stuck × 5) − slow%, and its colour, as in Service tracking. Worst first." }
        }
    })
}

fn emoji(status: &str) -> &'static str {
    match status {
        "healthy" => "🟢",
        "warning" => "🟡",
        _ => "🔴",
    }
}

fn detail_href(viewer: &Viewer, r: &ProviderRow, window: i64) -> String {
    let provider = if r.provider.is_empty() { NO_PROVIDER.to_string() } else { r.provider.clone() };
    href(viewer, DETAIL, &[("provider", provider), ("window_hours", window.to_string())])
}

async fn page(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let p = params_from(&conn, &viewer, &q).await?;
    let rows = providers(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let h = &p.health;
    let many_panels = viewer.panel.is_none() && viewer.panels.len() > 1;
    let table_rows: Vec<Markup> = rows
        .iter()
        .map(|r| {
            let d = detail_href(&viewer, r, h.window_hours);
            html! { tr {
                td.wrap { a href=(d) { (name(&r.provider)) } " " span.muted { "(" (r.services) " services)" }
                    @if many_panels { br; span.muted { (r.panels.iter().map(|p| viewer.panel_name(*p)).collect::<Vec<_>>().join(", ")) } } }
                td.num { (r.orders) }
                td.num { a href=(format!("{d}#failed")) { (r.failed) } " " span.muted { "(" (r.failed_pct) "%)" } }
                td.num { a href=(format!("{d}#stuck")) { (r.stuck) } }
                td.num { (r.finished) }
                td.num { (r.slow_pct) "%" }
                td.num { @match r.median_speed_pct { Some(m) => { (m) "%" }, None => span.muted { "—" } } }
                td.num { (money_list(&r.money, |s| s.revenue)) }
                td.num { (money_list(&r.money, |s| s.cost)) }
                td.num { (money_list(&r.money, |s| s.margin)) }
                td.num { strong { (r.score) } }
                td { (emoji(r.status)) " " (ui::status_label(r.status)) }
            } }
        })
        .collect();
    let cols = [
        col("Provider"),
        num("Orders"),
        num("Failed"),
        num("Stuck"),
        num("Finished"),
        num("Slow%"),
        num("Median speed"),
        num("Revenue"),
        num("Cost"),
        num("Margin"),
        num("Score"),
        col("Status"),
    ];
    let content = html! {
        (how_to_read(h))
        (window_tabs(&viewer, PATH, WINDOW_TABS, h.window_hours, &[]))
        p.summary {
            (rows.len()) " providers · "
            (data_links(PATH, raw.as_deref()))
        }
        (ui::table(&cols, &table_rows, ui::empty_state("No provider had orders in this window or has stuck orders. Try a longer window; if the cache \
            is empty, check Settings → Sync.", Some(("/settings/sync", "Open Settings → Sync")))))
    };
    Ok(ui::page(&viewer, "Providers", content))
}

fn order_rows(viewer: &Viewer, list: &[ProviderOrder]) -> Vec<Markup> {
    list.iter()
        .map(|o| {
            html! { tr {
                td.mono { a href=(href(viewer, &format!("/orders/{}/{}", o.panel_id, o.id), &[])) { (o.id) } }
                td { (viewer.panel_name(o.panel_id)) }
                td.mono { (ui::opt_num(o.service_id)) }
                td { (o.user.as_deref().unwrap_or("")) }
                td { (ui::status_label(&o.status)) }
                td.num { (ui::opt_num(o.quantity)) } td.num { (ui::opt_num(o.remains)) }
                td { (ui::time(o.created)) } td { (ui::opt_time(o.last_update)) }
            } }
        })
        .collect()
}

async fn detail(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let Some(shown) = q.get("provider").map(str::to_string) else {
        let back = ui::empty_state(
            "Name a provider: open one from the Providers report.",
            Some((PATH, "Open Providers")),
        );
        return Ok(ui::page(&viewer, "Provider", back));
    };
    let provider = if shown == NO_PROVIDER { String::new() } else { shown.clone() };
    let conn = state.db.connect().await?;
    let p = params_from(&conn, &viewer, &q).await?;
    let now = shared::time::now();
    let scope = viewer.listed_scope();
    let all = providers(&conn, &scope, &p, now).await?;
    let (stuck, failed) = orders(&conn, &scope, &p, &provider, now, LIST).await?;
    let row = all.iter().find(|r| r.provider == provider);
    let services: Vec<Markup> = row
        .map(|r| {
            r.detail
                .iter()
                .map(|s| {
                    let q = [("service_panel", s.panel_id.to_string()), ("service", s.service_id.to_string()), ("kind", "stuck".into())];
                    let stuck_orders = href(&viewer, "/reports/service-health/orders", &q);
                    html! { tr {
                    td { (viewer.panel_name(s.panel_id)) }
                    td.wrap { a href=(stuck_orders) { span.mono { (s.service_id) } } " " (ui::cut(&s.service_name, 60)) }
                    td.num { (s.orders) } td.num { (s.failed) } td.num { (s.stuck) } td.num { (s.finished) } td.num { (s.slow) }
                    td.num { (money_list(&s.money, |m| m.revenue)) }
                    td.num { (money_list(&s.money, |m| m.cost)) }
                    td.num { (money_list(&s.money, |m| m.margin)) }
                } }
                })
                .collect()
        })
        .unwrap_or_default();
    let service_cols = [
        col("Panel"),
        col("Service"),
        num("Orders"),
        num("Failed"),
        num("Stuck"),
        num("Finished"),
        num("Slow"),
        num("Revenue"),
        num("Cost"),
        num("Margin"),
    ];
    let order_cols = [
        col("Order"),
        col("Panel"),
        col("Service"),
        col("User"),
        col("Status"),
        num("Quantity"),
        num("Remains"),
        col("Created"),
        col("Last update"),
    ];
    let window = p.health.window_hours;
    let content = html! {
        p { a href=(href(&viewer, PATH, &[("window_hours", window.to_string())])) { "← Providers" } }
        @if let Some(r) = row {
            p.summary { (r.orders) " orders · " (r.failed) " failed · " (r.stuck) " stuck · score " strong { (r.score) } " " (emoji(r.status)) " "
                (ui::status_label(r.status)) }
        }
        (window_tabs(&viewer, DETAIL, WINDOW_TABS, window, &[("provider", shown.clone())]))
        h2 { "Services" }
        (ui::table(&service_cols, &services, ui::empty_state("This provider has no orders in the window and no stuck orders.", None)))
        h2 #stuck { "Stuck orders" @if stuck.len() == LIST { " (oldest " (LIST) ")" } }
        (ui::table(&order_cols, &order_rows(&viewer, &stuck), ui::empty_state("No stuck orders.", None)))
        h2 #failed { "Failed orders in the last " (window) "h" @if failed.len() == LIST { " (newest " (LIST) ")" } }
        (ui::table(&order_cols, &order_rows(&viewer, &failed), ui::empty_state("No failed orders in this window.", None)))
    };
    Ok(ui::page(&viewer, &format!("Provider: {}", name(&provider)), content))
}
