//! Matching our services to rival services: suggestions by platform, type, refill and speed read from
//! the names, and name similarity, each with a confidence. Staff confirm or reject; confirmed matches
//! are what the competitor report compares.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::domain::competitors::matching::{self, features, Decision};
use shared::domain::competitors::{self, catalog};
use shared::pp::money;
use shared::ui::form::FormData;
use shared::ui::{self, col, csrf_input, link, num};
use shared::{AppError, AppResult, AppState};

use super::{tabs, working_panel};
use crate::audit_log::log;

#[derive(Deserialize)]
pub struct MatchQuery {
    show: Option<String>,
}

fn rate(r: Option<i64>) -> String {
    r.map(money::rate).unwrap_or_else(|| "—".into())
}

fn decide_form(
    viewer: &Viewer,
    service_id: i64,
    c: &matching::Candidate,
    decision: &str,
    label: &str,
) -> Markup {
    html! {
        form method="post" action="/competitors/matches/decide" {
            (csrf_input(viewer))
            input type="hidden" name="service_id" value=(service_id);
            input type="hidden" name="competitor_id" value=(c.competitor_id);
            input type="hidden" name="rival_service_id" value=(c.rival_service_id);
            input type="hidden" name="decision" value=(decision);
            button.secondary type="submit" { (label) }
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<MatchQuery>,
) -> AppResult<Markup> {
    let Some(panel) = working_panel(&viewer) else {
        let body = html! { (tabs(&viewer, "/competitors/matches")) (ui::empty_state("No panels are shared with you.", None)) };
        return Ok(ui::page(&viewer, "Competitor matches", body));
    };
    let show_all = q.show.as_deref() == Some("all");
    let admin = viewer.is(Role::Admin);
    // The working panel is in the viewer's scope (`working_panel`): its competitors are theirs to see.
    let (services, rivals) = matching::suggest_with_rivals(&state.db, panel).await?;
    let total = services.len();
    let rows: Vec<Markup> = services
        .iter()
        .filter(|s| show_all || !s.candidates.is_empty())
        .map(|s| {
            html! { tr {
                td.num { (s.service_id) }
                td { (s.name) }
                td.num { (rate(s.rate)) }
                td {
                    @if s.candidates.is_empty() { span.muted { "No suggestion" } }
                    @for c in &s.candidates {
                        div.candidate {
                            (ui::status_label(c.status)) " "
                            strong { (c.competitor) } " #" (c.rival_service_id) " " (c.rival_name)
                            " · " (rate(c.rival_rate)) " · " span title="Confidence" { (c.confidence) "%" }
                            @if admin {
                                @if c.status == "suggested" {
                                    (decide_form(&viewer, s.service_id, c, "confirm", "Confirm"))
                                    (decide_form(&viewer, s.service_id, c, "reject", "Reject"))
                                } @else {
                                    (decide_form(&viewer, s.service_id, c, "undo", "Undo"))
                                }
                            }
                        }
                    }
                }
            } }
        })
        .collect();
    let cols = [num("ID"), col("Our service"), num("Our rate"), col("Rival services")];
    let empty = if rivals.is_empty() {
        ui::empty_state(
            "No competitor panels for this panel yet: add one, sync it, and suggestions appear here.",
            Some(("/competitors/new", "Add competitor panel")),
        )
    } else if total == 0 {
        ui::empty_state(
            "Our catalogue is not synced yet: set a Services API key in Panels and sync Services.",
            Some(("/settings/sync", "Settings → Sync")),
        )
    } else {
        ui::empty_state("No suggestions: no rival service shares platform and type with ours. Show all services to check.", None)
    };
    let content = html! {
        (tabs(&viewer, "/competitors/matches"))
        p.help { "Suggestions for " strong { (viewer.panel_name(panel)) } ": rival services on the same platform and of the same type, scored by \
            refill and speed read from the names and by shared words. Confirm the right one per competitor; confirmed matches are what the Competitor \
            tracking report compares. Rejected ones are not suggested again." }
        form.filters method="get" action="/competitors/matches" {
            input type="hidden" name="panel" value=(panel);
            label { input type="checkbox" name="show" value="all" checked[show_all]; " Show services without suggestions" }
            " " button.secondary type="submit" { "Apply" }
        }
        (ui::table(&cols, &rows, empty))
    };
    Ok(ui::page(&viewer, "Competitor matches", content))
}

fn id(data: &FormData, name: &str) -> AppResult<i64> {
    data.get(name)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::bad_request(format!("The form lacks a valid {name}.")))
}

pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let competitor =
        competitors::get_in_scope(&state.db, &viewer.scope(), id(&data, "competitor_id")?).await?;
    let (service_id, rival_service_id) = (id(&data, "service_id")?, id(&data, "rival_service_id")?);
    let decision = data.get("decision").unwrap_or("");
    let panel_id = competitor.panel_id;
    let back = link(&viewer, "/competitors/matches");
    if decision == "undo" {
        matching::undo(&state.db, panel_id, service_id, competitor.id, rival_service_id).await?;
        let details =
            format!("service {service_id} ↔ {} #{rival_service_id}: decision undone", competitor.name);
        log(&state, &viewer, &client, "competitor.match_undone", &details, Some(panel_id)).await?;
        return Ok(flash_redirect(&back, "Decision undone.", client.secure));
    }
    let confirmed = match decision {
        "confirm" => true,
        "reject" => false,
        _ => return Err(AppError::bad_request("The decision must be confirm, reject or undo.")),
    };
    let ours = matching::our_service(&state.db, panel_id, service_id)
        .await?
        .ok_or_else(|| AppError::bad_request("That service is not in this panel's catalogue."))?;
    let theirs = catalog::current(&state.db, competitor.id)
        .await?
        .into_iter()
        .find(|v| v.service_id == rival_service_id)
        .ok_or_else(|| {
            AppError::bad_request("That rival service is not in the competitor's current catalogue.")
        })?;
    let conf = matching::confidence(
        &features(&ours.0, ours.1.as_deref()),
        &features(&theirs.name, theirs.category.as_deref()),
    )
    .unwrap_or(0);
    let d = Decision {
        panel_id,
        service_id,
        competitor_id: competitor.id,
        rival_service_id,
        confirmed,
        confidence: Some(conf as i64),
    };
    matching::decide(&state.db, &d, &viewer.staff.username).await?;
    let word = if confirmed { "confirmed" } else { "rejected" };
    let details = format!(
        "{} #{service_id} ↔ {} #{rival_service_id} {}: {word} ({conf}%)",
        ours.0, competitor.name, theirs.name
    );
    log(&state, &viewer, &client, &format!("competitor.match_{word}"), &details, Some(panel_id)).await?;
    Ok(flash_redirect(&back, &format!("Match {word}."), client.secure))
}
