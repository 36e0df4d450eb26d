//! Settings → Sync: "Background sync & cache" per panel and resource (Resource | Interval (sec) |
//! Records per fetch | Currently cached | Last fetched | Status), editable, with Sync now, progress of
//! first syncs, errors in words with the next retry; and the engine's own settings.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{Role, Viewer};
use shared::db::Reads;
use shared::domain::panels::{self, PanelStatus};
use shared::domain::sync::{self, EngineSettings, Resource, SyncRow, SyncStatus};
use shared::form_post::{Post, Saved};
use shared::time::now;
use shared::ui::form::FormData;
use shared::ui::{self, col, csrf_input, link, num};
use shared::{AppError, AppResult, AppState};

/// `stopped`: the panel itself is in error (its Admin API key was refused): nothing retries on its own.
fn status_cell(r: &SyncRow, t: i64, stopped: bool) -> Markup {
    let running = r.lease_until > t;
    html! {
        @if running {
            (ui::status_label("running"))
        } @else if r.status == SyncStatus::Error {
            (ui::status_label("error"))
            " " span { (r.message.as_deref().unwrap_or("failed")) }
            @if stopped {
                br; span.muted { "stopped until the key is fixed in Panels" }
            } @else if let Some(at) = r.next_retry_at {
                br; span.muted { "next retry " (ui::time(at)) }
            }
        } @else if r.status == SyncStatus::Idle {
            (ui::status_label("idle")) " " span.muted { "not synced yet" }
        } @else {
            (ui::status_label("ok"))
        }
        @if r.first_sync() && r.total.is_some_and(|t| t > 0) {
            @let (f, tot) = (r.fetched, r.total.unwrap_or(0));
            br;
            progress value=(f.min(tot)) max=(tot) {}
            " " span.muted { (f.min(tot)) " of " (tot) }
        }
        @if r.skipped > 0 {
            br; span.muted title="Rows the panel sent that could not be read; see the logs." { (r.skipped) " malformed rows skipped" }
        }
    }
}

/// A form that was not saved: what was typed, shown again with why, beside the fields it came from.
struct Rejected {
    message: String,
    /// A resource row's edit: (panel, resource, interval, records per fetch) as typed.
    row: Option<(i64, Resource, String, String)>,
    /// The engine settings: (concurrency, retention) as typed.
    engine: Option<(String, String)>,
}

fn rows_for(
    viewer: &Viewer,
    panel: &panels::Panel,
    rows: &[&SyncRow],
    t: i64,
    can_edit: bool,
    rejected: Option<&Rejected>,
) -> Vec<Markup> {
    let (panel_id, stopped) = (panel.id, panel.status == PanelStatus::Error);
    rows.iter()
        .map(|r| {
            let fid = format!("sync-{panel_id}-{}", r.resource.as_str());
            let typed = rejected
                .and_then(|x| x.row.as_ref().map(|row| (x, row)))
                .filter(|(_, (p, res, _, _))| *p == panel_id && *res == r.resource);
            let interval = typed.map(|(_, t)| t.2.clone()).unwrap_or_else(|| r.interval_secs.to_string());
            let page_size = typed.map(|(_, t)| t.3.clone()).unwrap_or_else(|| r.page_size.to_string());
            html! { tr {
                td { (r.resource.label()) @if !r.enabled { " " span.muted { "(off)" } } }
                td.num {
                    @if can_edit {
                        input type="number" form=(fid) name="interval" value=(interval) min="30" max="604800"
                            aria-label={ (r.resource.label()) " interval in seconds" } aria-invalid=[typed.map(|_| "true")];
                    } @else { (r.interval_secs) }
                }
                td.num {
                    @if can_edit && r.resource.max_page_size() > 1 {
                        input type="number" form=(fid) name="page_size" value=(page_size) min="1" max=(r.resource.max_page_size())
                            aria-label={ (r.resource.label()) " records per fetch" } aria-invalid=[typed.map(|_| "true")];
                    } @else { (r.page_size) }
                }
                td.num { (r.cached) }
                td { (ui::opt_time(r.last_fetched_at)) }
                td.wrap { (status_cell(r, t, stopped)) }
                @if can_edit {
                    td { div.rowactions {
                        @if let Some((x, _)) = typed { p.error { (x.message) } }
                        form.actions #(fid) method="post" action=(format!("/settings/sync/{panel_id}/edit")) {
                            (csrf_input(viewer))
                            input type="hidden" name="resource" value=(r.resource.as_str());
                            @if r.resource.max_page_size() == 1 { input type="hidden" name="page_size" value="1"; }
                            label { input type="checkbox" name="enabled" value="1" checked[r.enabled]; " on" }
                            button.secondary type="submit" { "Save" }
                        }
                        form method="post" action=(format!("/settings/sync/{panel_id}/run")) {
                            (csrf_input(viewer))
                            input type="hidden" name="resource" value=(r.resource.as_str());
                            button.secondary type="submit" { "Sync now" }
                        }
                    } }
                }
            } }
        })
        .collect()
}

fn engine_card(viewer: &Viewer, s: &EngineSettings, rejected: Option<&Rejected>) -> Markup {
    let typed = rejected.and_then(|x| x.engine.as_ref().map(|e| (x, e)));
    let concurrency = typed.map(|(_, e)| e.0.clone()).unwrap_or_else(|| s.concurrency.to_string());
    let retention = typed.map(|(_, e)| e.1.clone()).unwrap_or_else(|| s.retention_days.to_string());
    html! {
        div.card {
            h2 { "Sync engine settings" }
            p { "The engine is " strong { @if s.paused { "paused" } @else { "running" } } ". "
                "Scheduled runs wake every minute (EventBridge Scheduler on AWS, a timer locally) and do the work that is due." }
            @if viewer.is(Role::Owner) {
                @if let Some((x, _)) = typed { p.error { (x.message) } }
                form.filters method="post" action="/settings/sync/engine" {
                    (csrf_input(viewer))
                    div { label for="paused" { "State" }
                        select #paused name="paused" {
                            option value="0" selected[!s.paused] { "Running" }
                            option value="1" selected[s.paused] { "Paused" }
                        } }
                    div { label for="concurrency" { "Concurrency (panels at once)" }
                        input #concurrency type="number" name="concurrency" min="1" max="8" value=(concurrency); }
                    div { label for="retention" { "Retention (days of finished orders, 0 = all)" }
                        input #retention type="number" name="retention_days" min="0" max="3650" value=(retention); }
                    button type="submit" { "Save engine settings" }
                }
            } @else {
                p.muted { "Concurrency " (s.concurrency) " · retention " @if s.retention_days == 0 { "everything" } @else { (s.retention_days) " days" } }
            }
        }
    }
}

async fn render(state: &AppState, viewer: &Viewer, rejected: Option<&Rejected>) -> AppResult<Markup> {
    // The panels in view get their rows (one added before a resource existed), then everything the
    // page shows is read: one round trip.
    let shown: Vec<i64> =
        viewer.panels.iter().map(|p| p.id).filter(|id| viewer.panel.is_none_or(|c| c == *id)).collect();
    let mut reads = Reads::new();
    reads.add(sync::ensure_rows_stmt(&shown), |_| Ok(()));
    let all = panels::list_read(&mut reads, &viewer.scope());
    let rows = sync::list_read(&mut reads, &viewer.scope(), viewer.panel);
    let settings = sync::engine_settings_read(&mut reads);
    let indexes = sync::orders_indexes_read(&mut reads);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let all = done.all(all).await?;
    let rows = done.all(rows).await?;
    let settings = sync::engine_settings_from(done.all(settings).await?);
    let catching_up = !sync::missing_of(done.all(indexes).await?).is_empty();
    let shown: Vec<_> = all.iter().filter(|p| viewer.panel.is_none_or(|c| c == p.id)).collect();
    let t = now();
    let can_edit = viewer.is(Role::Admin);
    let running = rows.iter().any(|r| r.lease_until > t);
    let mut cols = vec![
        col("Resource"),
        num("Interval (sec)"),
        num("Records per fetch"),
        num("Currently cached"),
        col("Last fetched"),
        col("Status"),
    ];
    if can_edit {
        cols.push(col(""));
    }
    Ok(ui::page(
        viewer,
        "Sync",
        html! {
            @if running { span hidden data-autorefresh="5000" {} }
            @if let Some(x) = rejected { p.error role="alert" { "Not saved: " (x.message) } }
            (engine_card(viewer, &settings, rejected))
            h2 { "Background sync & cache" }
            @if catching_up {
                div.notice role="status" {
                    "A large sync is catching up in bulk. Until it finishes, searching orders by username, link or external ID and opening a user's \
                        page read the whole order cache: slower, still complete."
                }
            }
            @if shown.is_empty() {
                (ui::empty_state("No panels to sync yet. Add a panel with its Admin API key first.",
                    viewer.is(Role::Owner).then_some(("/panels/new", "Add a panel"))))
            }
            @for p in &shown {
                @let mine: Vec<&SyncRow> = rows.iter().filter(|r| r.panel_id == p.id).collect();
                div.panelhead {
                    h2 { (p.name) }
                    (ui::status_label(p.status.as_str()))
                    @if let Some(e) = &p.last_error { span.error { (e) } }
                    @if can_edit {
                        form method="post" action=(format!("/settings/sync/{}/run", p.id)) {
                            (csrf_input(viewer))
                            button type="submit" { "Sync all now" }
                        }
                    }
                }
                (ui::table(&cols, &rows_for(viewer, p, &mine, t, can_edit, rejected), ui::empty_state("No resources.", None)))
            }
        },
    ))
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    render(&state, &viewer, None).await
}

async fn panel_in_scope(state: &AppState, viewer: &Viewer, id: i64) -> AppResult<panels::Panel> {
    viewer.scope().check(id)?;
    panels::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That panel"))
}

fn resource_of(data: &FormData) -> AppResult<Resource> {
    Resource::parse(data.get("resource").unwrap_or(""))
        .ok_or_else(|| AppError::bad_request("Unknown resource."))
}

pub async fn edit(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let Post { state, viewer, data, .. } = &post;
    let panel = panel_in_scope(state, viewer, id).await?;
    let resource = resource_of(data)?;
    let parse = |name: &str, label: &str| -> Result<i64, String> {
        data.text(name).parse::<i64>().map_err(|_| format!("{label} must be a whole number."))
    };
    let checked = parse("interval", "The interval").and_then(|i| {
        parse("page_size", "Records per fetch").and_then(|p| sync::validate(resource, i, p).map(|_| (i, p)))
    });
    let (interval, page_size) = match checked {
        Ok(v) => v,
        Err(msg) => {
            let rejected = Rejected {
                message: format!("{} · {}: {msg}", panel.name, resource.label()),
                row: Some((id, resource, data.text("interval"), data.text("page_size"))),
                engine: None,
            };
            return Ok(shared::ui::invalid(render(state, viewer, Some(&rejected)).await?));
        }
    };
    sync::ensure_rows(&state.db, id).await?;
    let enabled = data.checked("enabled");
    sync::update(&state.db, id, resource, interval, page_size, enabled).await?;
    let details = format!(
        "{} · {}: every {interval} s, {page_size} per fetch, {}",
        panel.name,
        resource.label(),
        if enabled { "on" } else { "off" }
    );
    let flash = format!("Saved: {details}.");
    post.done(Saved {
        action: "sync.settings_changed",
        details,
        panel: Some(id),
        to: link(viewer, "/settings/sync"),
        flash,
    })
    .await
}

pub async fn run_now(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let Post { state, viewer, data, .. } = &post;
    let panel = panel_in_scope(state, viewer, id).await?;
    if panel.status != PanelStatus::Active {
        // The engine skips it: say so instead of announcing a run that will not happen.
        let why = match panel.status {
            PanelStatus::Paused => "it is paused in Panels".to_string(),
            _ => format!(
                "{}. Fix the key in Panels, then save the panel as active",
                panel.last_error.as_deref().unwrap_or("it is in error")
            ),
        };
        let to = link(viewer, "/settings/sync");
        return Ok(flash_redirect(&to, &format!("{} is not synced: {why}.", panel.name), post.client.secure));
    }
    let resource = match data.get("resource").filter(|r| !r.is_empty()) {
        Some(_) => Some(resource_of(data)?),
        None => None,
    };
    sync::ensure_rows(&state.db, id).await?;
    sync::request_run(&state.db, id, resource).await?;
    state.sync_kick.notify_one();
    let what = resource.map(|r| r.label()).unwrap_or("everything");
    let flash = format!("Sync of {} ({what}) started; this page refreshes while it runs.", panel.name);
    let details = format!("{}: {what}", panel.name);
    post.done(Saved {
        action: "sync.requested",
        details,
        panel: Some(id),
        to: link(viewer, "/settings/sync"),
        flash,
    })
    .await
}

pub async fn engine(post: Post) -> AppResult<Response> {
    let Post { state, viewer, data, .. } = &post;
    let num = |k: &str| data.text(k).parse::<i64>();
    let rejected = |message: String| Rejected {
        message,
        row: None,
        engine: Some((data.text("concurrency"), data.text("retention_days"))),
    };
    let (Ok(concurrency), Ok(retention_days)) = (num("concurrency"), num("retention_days")) else {
        let why = rejected("Concurrency and retention must be whole numbers.".into());
        return Ok(shared::ui::invalid(render(state, viewer, Some(&why)).await?));
    };
    let new = EngineSettings { paused: data.get("paused") == Some("1"), concurrency, retention_days };
    match sync::save_engine_settings(&state.db, &new).await {
        Ok(()) => {}
        Err(AppError::BadRequest(msg)) => {
            return Ok(shared::ui::invalid(render(state, viewer, Some(&rejected(msg))).await?));
        }
        Err(e) => return Err(e),
    }
    let details = format!(
        "{}, concurrency {concurrency}, retention {retention_days} days",
        if new.paused { "paused" } else { "running" }
    );
    let flash = format!("Sync engine: {details}.");
    post.done(Saved {
        action: "sync.engine_changed",
        details,
        panel: None,
        to: link(viewer, "/settings/sync"),
        flash,
    })
    .await
}
