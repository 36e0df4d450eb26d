//! Service reports: Reported at | Panel | Service | Reason | Reported by | Status | Resolved. Any
//! agent reports a service from the Services page; admins resolve.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::rows::{opt_i64, opt_text};
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

/// The tab chosen (open, resolved, all) and the statement of its reports, newest first, in the
/// viewer's panels; `limit` caps the page (the export takes them all).
fn select(viewer: &Viewer, q: &ListQuery, limit: Option<u32>) -> AppResult<(String, String)> {
    let status = q.choice("status", "Status", &["open", "resolved", "all"])?.unwrap_or("open".into());
    let cond = match status.as_str() {
        "open" => "r.resolved_at IS NULL",
        "resolved" => "r.resolved_at IS NOT NULL",
        _ => "1",
    };
    let sql = format!(
        "SELECT r.id, r.panel_id, r.service_id, s.name, r.reason, a.username, r.reported_at, b.username, r.resolved_at
         FROM service_reports r
         LEFT JOIN services_cache s ON s.panel_id = r.panel_id AND s.id = r.service_id
         LEFT JOIN staff a ON a.id = r.reported_by LEFT JOIN staff b ON b.id = r.resolved_by
         WHERE {} AND {cond} ORDER BY r.reported_at DESC, r.id DESC {}",
        viewer.panel_sql("r.panel_id"),
        limit.map(|l| format!("LIMIT {l}")).unwrap_or_default()
    );
    Ok((status, sql))
}

/// Every report of the tab as CSV (service reports are few: read whole).
pub async fn export(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    use shared::export as csv;
    let (_, sql) = select(&viewer, &q, None)?;
    let conn = state.db.connect().await?;
    let mut rows = conn.query(&sql, ()).await?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        let resolved = opt_i64(&r, 8)?;
        out.push(vec![
            csv::time(r.get::<i64>(6)?),
            csv::text(viewer.panel_name(r.get(1)?)),
            csv::int(r.get::<i64>(2)?),
            csv::opt_text(opt_text(&r, 3)?.as_deref()),
            csv::text(r.get::<String>(4)?),
            csv::opt_text(opt_text(&r, 5)?.as_deref()),
            csv::text(if resolved.is_some() { "resolved" } else { "open" }),
            csv::time(resolved),
            csv::opt_text(opt_text(&r, 7)?.as_deref()),
        ]);
    }
    let header = &[
        "Reported at",
        "Panel",
        "Service ID",
        "Service",
        "Reason",
        "Reported by",
        "Status",
        "Resolved",
        "Resolved by",
    ];
    Ok(csv::whole_response("service-reports", header, &out))
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let (status, sql) = select(&viewer, &q, Some(500))?;
    let conn = state.db.connect().await?;
    let mut rows = conn.query(&sql, ()).await?;
    let admin = viewer.is(Role::Admin);
    let mut out = Vec::new();
    while let Some(r) = rows.next().await? {
        let (id, panel_id, service_id): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (name, reason, by, at) =
            (opt_text(&r, 3)?, r.get::<String>(4)?, opt_text(&r, 5)?, r.get::<i64>(6)?);
        let (resolver, resolved) = (opt_text(&r, 7)?, opt_i64(&r, 8)?);
        out.push(html! { tr {
            td { (ui::time(at)) }
            td { (viewer.panel_name(panel_id)) }
            td { (service_id) @if let Some(n) = &name { " · " (ui::cut(n, 50)) } }
            td { (ui::cut(&reason, 120)) }
            td { (by.as_deref().unwrap_or("—")) }
            td { @if resolved.is_some() { (ui::status_label("resolved")) } @else { span class="label warn" { "open" } } }
            td { @if let Some(t) = resolved { (ui::time(t)) " " span.muted { (resolver.as_deref().unwrap_or("")) } }
                 @else if admin {
                    form method="post" action={ "/service-reports/" (id) "/resolve" } {
                        (csrf_input(&viewer)) button.secondary type="submit" { "Resolve" }
                    }
                 } }
        } });
    }
    let tabs: Vec<(String, String, bool)> = ["open", "resolved", "all"]
        .iter()
        .map(|s| (s.to_string(), q.href("/service-reports", &[], &[("status", s.to_string())]), status == *s))
        .collect();
    let content = html! {
        (ui::tabs(&tabs))
        p.exports { (shared::export::link(&q.href("/service-reports.csv", &[], &[("status", status.clone())]))) }
        (ui::table(&[col("Reported at"), col("Panel"), col("Service"), col("Reason"), col("Reported by"), col("Status"), col("Resolved")], &out,
            ui::empty_state("No service reports here. Staff report a service from the Services page.", Some(("/services", "Open Services")))))
    };
    Ok(ui::page(&viewer, "Service reports", content))
}

pub async fn resolve(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let mut rows = conn.query("SELECT panel_id, service_id FROM service_reports WHERE id = ?1", [id]).await?;
    let Some(r) = rows.next().await? else { return Err(AppError::not_found("That service report")) };
    let (panel_id, service_id): (i64, i64) = (r.get(0)?, r.get(1)?);
    drop(rows);
    viewer.scope().check(panel_id)?;
    let tx = shared::db::write_tx(&conn).await?;
    tx.execute(
        "UPDATE service_reports SET resolved_at = ?1, resolved_by = ?2 WHERE id = ?3 AND resolved_at IS NULL",
        libsql::params![shared::time::now(), viewer.id(), id],
    )
    .await?;
    tx.commit().await?;
    log(
        &state,
        &viewer,
        &client,
        "service_report.resolved",
        &format!("service {service_id}"),
        Some(panel_id),
    )
    .await?;
    Ok(flash_redirect(
        "/service-reports",
        &format!("Report on service {service_id} resolved."),
        client.secure,
    ))
}
