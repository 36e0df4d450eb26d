//! The landing page: the panels in view and what needs attention.

use axum::extract::State;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::domain::panels::{self, PanelStatus};
use shared::ui::{self, link};
use shared::{AppResult, AppState};

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let all = panels::list(&state.db, &viewer.scope()).await?;
    let shown: Vec<_> = all.iter().filter(|p| viewer.panel.is_none_or(|c| c == p.id)).collect();
    let count = |s: PanelStatus| shown.iter().filter(|p| p.status == s).count();
    let content = html! {
        div.grid2 {
            div.card {
                h2 { "Panels" }
                p.stat { (shown.len()) }
                p { (count(PanelStatus::Active)) " active · " (count(PanelStatus::Paused)) " paused · "
                    (count(PanelStatus::Error)) " in error" }
                p { a href=(link(&viewer, "/panels")) { "Open Panels" } }
            }
        }
        @if shown.is_empty() {
            @if viewer.is(Role::Owner) {
                (ui::empty_state("No panels yet. Add your first Perfect Panel with its Admin API key to start.",
                    Some(("/panels/new", "Add a panel"))))
            } @else {
                (ui::empty_state("No panels are shared with you yet. Ask an owner to allow you a panel.", None))
            }
        } @else {
            @let errors: Vec<_> = shown.iter().filter(|p| p.status == PanelStatus::Error).collect();
            @if !errors.is_empty() {
                div.card {
                    h2 { "Needs attention" }
                    ul { @for p in errors {
                        li { strong { (p.name) } " — " (p.last_error.as_deref().unwrap_or("in error")) }
                    } }
                }
            }
        }
    };
    Ok(ui::page(&viewer, "Overview", content))
}
