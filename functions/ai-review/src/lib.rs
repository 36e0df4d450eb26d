//! AI: the scheduled reviewer of staff replies, and the AI pages — settings, named prompts, the
//! Quality Analyzer prompt, flagged replies, and analysis/translation run on a ticket. Every route is
//! under `/ai/` so the API Gateway sends it to this function.

use axum::Router;
use shared::auth::Role;
use shared::{Access, AppState, Routes};

pub mod client;
pub mod conversation;
pub mod job;
pub mod lambda;
pub mod pages;
pub mod prompts;
pub mod reviews;
pub mod settings;
pub mod ticket_ai;
pub mod verdict;

pub use job::{run, run_with, RunOptions, RunReport};
pub use reviews::{verdict_counts, VerdictCounts};

pub fn routes(state: &AppState) -> Routes {
    use pages::{flagged, prompts as pp, quality, settings as sp, ticket};
    Routes::new(state)
        .get("/ai/settings", Access::AllPanels(Role::Admin), sp::page)
        .post("/ai/settings", Access::AllPanels(Role::Admin), sp::save)
        .get("/ai/quality-prompt", Access::AllPanels(Role::Admin), quality::page)
        .post("/ai/quality-prompt", Access::AllPanels(Role::Admin), quality::save)
        .get("/ai/prompts", Access::Staff(Role::Agent), pp::list)
        .get("/ai/prompts/new", Access::AllPanels(Role::Admin), pp::new_page)
        .post("/ai/prompts", Access::AllPanels(Role::Admin), pp::create)
        .get("/ai/prompts/{id}", Access::AllPanels(Role::Admin), pp::edit_page)
        .post("/ai/prompts/{id}", Access::AllPanels(Role::Admin), pp::update)
        .post("/ai/prompts/{id}/delete", Access::AllPanels(Role::Admin), pp::delete)
        .get("/ai/flagged", Access::Staff(Role::Viewer), flagged::page)
        .get("/ai/flagged.csv", Access::Staff(Role::Viewer), flagged::export)
        .post(
            "/ai/flagged/{panel_id}/{ticket_id}/{seq}/wrong",
            Access::Staff(Role::Owner),
            flagged::mark_wrong,
        )
        .post("/ai/tickets/{panel_id}/{ticket_id}/analyze", Access::Staff(Role::Agent), ticket::analyze)
        .post("/ai/tickets/{panel_id}/{ticket_id}/translate", Access::Staff(Role::Agent), ticket::translate)
        .post(
            "/ai/tickets/{panel_id}/{ticket_id}/translate-draft",
            Access::Staff(Role::Agent),
            ticket::translate_draft,
        )
}

/// Every route the Lambda serves: this function's own, and the shared ones (health check).
pub fn served(state: &AppState) -> Routes {
    routes(state).merge(shared::health::routes(state))
}

pub fn app(state: &AppState) -> Router {
    served(state).into_router()
}

/// Writes to the activity log on behalf of the signed-in staff member.
pub(crate) use shared::audit::log;
