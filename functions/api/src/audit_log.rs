//! Writing to the activity log on behalf of the signed-in staff member.

use shared::audit::{self, Actor};
use shared::auth::{ClientInfo, Viewer};
use shared::{AppResult, AppState};

pub async fn log(
    state: &AppState,
    viewer: &Viewer,
    client: &ClientInfo,
    action: &str,
    details: &str,
    panel_id: Option<i64>,
) -> AppResult<()> {
    let actor = Actor { staff_id: Some(viewer.id()), username: &viewer.staff.username, client };
    audit::record(&state.db, &actor, action, details, panel_id).await
}
