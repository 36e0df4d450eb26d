//! Service tracking's drill-down: the orders behind a number of the report (stuck, slow, finished) for
//! one service, every service, or the red bar's critical services, where staff select them and act
//! (the order actions' buttons, then their confirmation).

use crate::common::Ask;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::ui::{self, col, num};
use shared::{AppError, AppResult};

use super::pages::{keep, params_from, PATH};
use super::{orders, Kind, ServiceHealthRow};
use crate::common::{href, Params};

/// The drill-down of the critical services' stuck orders, where they are selected and acted on.
pub(super) fn critical_stuck_href(
    viewer: &Viewer,
    rows: &[&ServiceHealthRow],
    keep: &[(&str, String)],
    window: i64,
) -> String {
    let mut q: Vec<(&str, String)> = keep.to_vec();
    q.extend([("kind", "stuck".to_string()), ("window_hours", window.to_string())]);
    q.extend(rows.iter().map(|r| ("svc", format!("{}:{}", r.panel_id, r.service_id))));
    href(viewer, "/reports/service-health/orders", &q)
}

/// `svc=panel:service` pairs of the query.
fn service_pairs(q: &Params) -> AppResult<Vec<(i64, i64)>> {
    q.0.iter()
        .filter(|(k, _)| k == "svc")
        .map(|(_, v)| {
            v.split_once(':')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| AppError::bad_request("svc must be panel:service."))
        })
        .collect()
}

pub(super) async fn drill_down(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, raw } = ask;
    let conn = state.db.connect().await?;
    let (profile, mut p, _) = params_from(&conn, viewer.panel, &q).await?;
    let kind = match q.get("kind") {
        None => Kind::Stuck,
        Some(k) => {
            Kind::parse(k).ok_or_else(|| AppError::bad_request("kind must be stuck, slow or finished."))?
        }
    };
    let service = match (q.int("service_panel", 1..=i64::MAX)?, q.int("service", 0..=i64::MAX)?) {
        (Some(pa), Some(s)) => Some((pa, s)),
        (None, None) => None,
        _ => return Err(AppError::bad_request("Give both service_panel and service, or neither.")),
    };
    if let Some((pa, _)) = service {
        viewer.scope().check(pa)?;
    }
    // `svc=panel:service`, repeated: the red bar's critical services, each on its own panel.
    let several = service_pairs(&q)?;
    for (pa, _) in &several {
        viewer.scope().check(*pa)?;
    }
    if !several.is_empty() {
        p.services = several.iter().map(|(_, s)| *s).collect();
    }
    let now = shared::time::now();
    let mut list = orders(&conn, &viewer.listed_scope(), &p, service, kind, now, 500).await?;
    if !several.is_empty() {
        list.retain(|o| several.contains(&(o.panel_id, o.service_id)));
    }
    let what = match kind {
        Kind::Stuck => format!("Stuck orders (older than {}h, remains > 0)", p.stuck_after_hours),
        Kind::Slow => format!(
            "Slow orders finished in the last {}h (slower than quantity ÷ min/day × {})",
            p.window_hours, p.slow_multiplier
        ),
        Kind::Finished => format!("Orders finished in the last {}h", p.window_hours),
    };
    let title = match service {
        Some((_, s)) => format!("Service {s}: {}", kind.as_str()),
        None if !several.is_empty() => format!("Critical services: {}", kind.as_str()),
        None => format!("All services: {}", kind.as_str()),
    };
    let can_act = viewer.is(Role::Agent) && !list.is_empty();
    let rows: Vec<Markup> = list
        .iter()
        .map(|o| html! { tr {
            @if can_act { td { input type="checkbox" name="sel" value={ (o.panel_id) ":" (o.id) } aria-label={ "Select order " (o.id) }; } }
            td.mono { a href={ "/orders/" (o.panel_id) "/" (o.id) } { (o.id) } } td { (viewer.panel_name(o.panel_id)) }
            td.wrap { span.mono { (o.service_id) } " " (ui::cut(o.service_name.as_deref().unwrap_or(""), 50)) }
            td { (o.user.as_deref().unwrap_or("")) } td { (ui::status_label(&o.status)) }
            td.num { (o.quantity) } td.num { (o.remains.map(|r| r.to_string()).unwrap_or_default()) }
            td { (ui::time(o.created)) } td { (ui::opt_time(o.last_update)) }
            td { @if let Some(l) = &o.link { (ui::cut(l, 40)) } }
        } })
        .collect();
    let this_page = format!("/reports/service-health/orders?{}", raw.as_deref().unwrap_or(""));
    let mut back = keep(&profile, &q);
    back.push(("window_hours", p.window_hours.to_string()));
    let mut cols = vec![col("Order"), col("Panel"), col("Service"), col("User"), col("Status")];
    cols.extend([num("Quantity"), num("Remains"), col("Created"), col("Last update"), col("Link")]);
    if can_act {
        // The rows' checkboxes.
        cols.insert(0, col(""));
    }
    let table = ui::table(&cols, &rows, ui::empty_state("No orders match.", None));
    let content = html! {
        p { a href=(href(&viewer, PATH, &back)) { "← Service tracking" } }
        p { (what) ": " strong { (list.len()) } @if list.len() == 500 { " (first 500)" } }
        @if can_act {
            // The stuck orders' fix in one flow: tick them (or all), pick the action, confirm.
            form method="get" action=(shared::ui::actions::CONFIRM_PATH) data-selection {
                input type="hidden" name="back" value=(this_page);
                div.selbar { label { input type="checkbox" data-select-all; " Select all" } span.muted data-sel-count {} }
                (shared::ui::actions::bulk_buttons(&viewer))
                (table)
            }
        } @else {
            (table)
        }
    };
    Ok(ui::page(&viewer, &title, content))
}
