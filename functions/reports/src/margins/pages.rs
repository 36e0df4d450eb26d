//! The Margins page, its `.json` and its `.csv`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::{html, Markup};
use serde_json::json;

use shared::auth::{Role, Viewer};
use shared::db::Reads;
use shared::ui::{self, col, num};
use shared::{Access, AppResult, AppState, Routes};

use super::{
    chart, last_costed, margins, scope_sql, CostedOrder, MarginParams, Margins, ServiceMargin, Sums,
};
use crate::common::{self, data_links, envelope, explain, href, window_tabs, Ask, Params, WINDOW_TABS};
use shared::export;

const PATH: &str = "/reports/margins";
const CHART_DAYS: i64 = 30;
/// Orders shown per service sold below cost.
const LAST_ORDERS: usize = 3;

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    Routes::new(state).get(PATH, v, page).get("/reports/margins.json", v, json).get(
        "/reports/margins.csv",
        v,
        csv,
    )
}

pub fn params_from(panel: Option<i64>, q: &Params) -> AppResult<MarginParams> {
    Ok(MarginParams { panel, window_hours: common::window_hours(q, 24)? })
}

/// The report and the last costed orders of its services sold below cost.
async fn compute(
    conn: &shared::db::Conn,
    viewer: &Viewer,
    p: &MarginParams,
    now: i64,
) -> AppResult<(Margins, Vec<CostedOrder>)> {
    let m = margins(conn, &viewer.listed_scope(), p, now).await?;
    let below: Vec<(i64, i64)> =
        m.services.iter().filter(|s| s.below_cost).map(|s| (s.panel_id, s.service_id)).collect();
    let last = last_costed(conn, &below, LAST_ORDERS).await?;
    Ok((m, last))
}

async fn json(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let q = Params::parse(raw.as_deref())?;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    let (m, last) = compute(&conn, &viewer, &p, shared::time::now()).await?;
    // The groups sit beside the list, as other reports' totals do.
    let extra = json!({ "panels": m.panels, "providers": m.providers, "totals": m.totals, "last_orders_below_cost": last });
    Ok(envelope(&m.services, Some(("groups", extra))))
}

/// The per-service table: one line per service and currency, money as decimals beside its currency.
async fn csv(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    let m = margins(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let header = &[
        "Panel",
        "Service ID",
        "Service",
        "Provider",
        "Our rate /1000",
        "Currency",
        "Orders",
        "Revenue",
        "Cost",
        "Cost unknown",
        "Margin",
        "Margin %",
        "Sold below cost",
    ];
    Ok(export::report_csv("margins", header, &m.services, |s| {
        let t = &s.sums;
        vec![
            export::text(viewer.panel_name(s.panel_id)),
            export::int(s.service_id),
            export::text(&s.service_name),
            export::text(s.providers.iter().map(|p| provider_name(p)).collect::<Vec<_>>().join(", ")),
            export::money(s.rate),
            export::text(&t.currency),
            export::int(t.orders),
            export::money(Some(t.revenue)),
            export::money(Some(t.cost)),
            export::int(t.cost_unknown),
            export::money(Some(t.margin)),
            export::num(t.margin_pct),
            export::text(if s.below_cost { "yes" } else { "no" }),
        ]
    }))
}

fn how_to_read(p: &MarginParams) -> Markup {
    explain(html! {
        ul {
            li { "Orders created in the last " strong { (p.window_hours) " hours" } ", canceled and failed left out (nothing was charged for them)." }
            li { "Revenue = the sum of their charges. Cost = the sum of what the provider charged (" code { "provider_charge" }
                "). Orders the panel sent without a provider charge are counted apart as " strong { "cost unknown" }
                ": their revenue is in Revenue, but not in the margin." }
            li { "Margin = revenue of the orders whose cost is known − their cost. Margin % = margin ÷ that revenue × 100." }
            li { "Services " strong.neg { "sold below cost" } " (margin < 0) come first, in red, with the rate we charge and the provider's charge on \
                the last " (LAST_ORDERS) " orders." }
            li { "Money is never added across currencies: every number is per currency." }
            li { "The chart shows the last " (CHART_DAYS) " days by day (UTC), whatever the window." }
        }
    })
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x}%")).unwrap_or_else(|| "—".into())
}

fn cur(s: &Sums) -> Option<&str> {
    Some(s.currency.as_str()).filter(|c| !c.is_empty())
}

fn money_cells(s: &Sums) -> Markup {
    html! {
        td.num { (s.orders) }
        td.num { (ui::money(Some(s.revenue), cur(s))) }
        td.num { (ui::money(Some(s.cost), cur(s))) }
        td.num { @if s.cost_unknown > 0 { span title="Orders without a provider charge" { (s.cost_unknown) } } @else { "0" } }
        td.num { strong { (ui::money(Some(s.margin), cur(s))) } }
        td.num { (pct(s.margin_pct)) }
    }
}

fn money_cols<'a>(first: Vec<ui::Col<'a>>) -> Vec<ui::Col<'a>> {
    let mut c = first;
    c.extend([
        num("Orders"),
        num("Revenue"),
        num("Cost"),
        num("Cost unknown"),
        num("Margin"),
        num("Margin %"),
    ]);
    c
}

fn provider_name(p: &str) -> &str {
    if p.is_empty() {
        "(no provider)"
    } else {
        p
    }
}

fn service_row(viewer: &Viewer, s: &ServiceMargin, last: &[CostedOrder], many_panels: bool) -> Markup {
    let mine: Vec<&CostedOrder> =
        last.iter().filter(|o| (o.panel_id, o.service_id) == (s.panel_id, s.service_id)).collect();
    let orders_href =
        href(viewer, "/orders", &[("panel", s.panel_id.to_string()), ("service", s.service_id.to_string())]);
    html! {
        tr class=[s.below_cost.then_some("loss")] {
            @if many_panels { td { (viewer.panel_name(s.panel_id)) } }
            td.wrap { a href=(orders_href) { span.mono { (s.service_id) } } " " (ui::cut(&s.service_name, 60))
                @if s.below_cost { br; strong { "Sold below cost" } } }
            td.wrap { (s.providers.iter().map(|p| provider_name(p)).collect::<Vec<_>>().join(", ")) }
            td.num { (ui::rate(s.rate)) }
            (money_cells(&s.sums))
            td.wrap {
                @for o in &mine {
                    div.mono { "#" (o.id) ": " (ui::money(Some(o.charge), Some(o.currency.as_str()).filter(|c| !c.is_empty())))
                        " charged, provider " (ui::money(Some(o.provider_charge), Some(o.currency.as_str()).filter(|c| !c.is_empty())))
                        @if let Some(q) = o.quantity { " for " (q) } }
                }
            }
        }
    }
}

async fn page(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let p = params_from(viewer.panel, &q)?;
    let conn = state.db.connect().await?;
    let now = shared::time::now();
    let (m, last) = compute(&conn, &viewer, &p, now).await?;
    let days = match scope_sql(&conn, &viewer.listed_scope(), p.panel).await? {
        Some(sc) => {
            let mut reads = Reads::new();
            let d = super::by_day_read(&mut reads, &sc, CHART_DAYS, now);
            reads.run(&conn).await?.all(d).await?
        }
        None => Vec::new(),
    };
    let many_panels = viewer.panel.is_none() && viewer.panels.len() > 1;
    let below = m.services.iter().filter(|s| s.below_cost).count();
    let mut cols = Vec::new();
    if many_panels {
        cols.push(col("Panel"));
    }
    cols.extend([col("Service"), col("Provider"), num("Our rate /1000")]);
    let cols = money_cols(cols);
    let mut cols = cols;
    cols.push(col("Last orders (charged / provider)"));
    let rows: Vec<Markup> = m.services.iter().map(|s| service_row(&viewer, s, &last, many_panels)).collect();
    let group_rows = |groups: &[super::GroupMargin], name: &dyn Fn(&str) -> String| -> Vec<Markup> {
        groups.iter().map(|g| html! { tr class=[g.sums.below_cost().then_some("loss")] { td { (name(&g.key)) } (money_cells(&g.sums)) } }).collect()
    };
    let panel_rows = group_rows(&m.panels, &|k| {
        k.parse::<i64>().map(|id| viewer.panel_name(id).to_string()).unwrap_or_default()
    });
    let provider_rows = group_rows(&m.providers, &|k| provider_name(k).to_string());
    let today = now - now.rem_euclid(86_400);
    let content = html! {
        (how_to_read(&p))
        (window_tabs(&viewer, PATH, WINDOW_TABS, p.window_hours, &[]))
        @if below > 0 {
            div.redbar role="alert" { strong { "🔴 " (below) " service" @if below != 1 { "s" } " sold below cost in this window" } }
        }
        p.summary {
            @if m.totals.is_empty() { "No orders in this window." }
            @for (i, t) in m.totals.iter().enumerate() {
                @if i > 0 { " · " }
                (t.orders) " orders, revenue " (ui::money(Some(t.revenue), cur(t)))
                ", margin " strong { (ui::money(Some(t.margin), cur(t))) } " (" (pct(t.margin_pct)) ")"
                @if t.cost_unknown > 0 { ", " (t.cost_unknown) " with cost unknown" }
            }
            " · " (data_links(PATH, raw.as_deref()))
        }
        (chart::by_day(&days, CHART_DAYS, today))
        h2 { "Per service" }
        (ui::table(&cols, &rows, ui::empty_state("No orders were created in this window (canceled and failed left out). Try a longer window; if the \
            cache is empty, check Settings → Sync.", Some(("/settings/sync", "Open Settings → Sync")))))
        @if many_panels {
            h2 { "Per panel" }
            (ui::table(&money_cols(vec![col("Panel")]), &panel_rows, html! {}))
        }
        h2 { "Per provider" }
        (ui::table(&money_cols(vec![col("Provider")]), &provider_rows, html! {}))
    };
    Ok(ui::page(&viewer, "Margins", content))
}
