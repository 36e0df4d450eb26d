//! The order actions' buttons, written once for every place that offers them (the Orders list's
//! selection bar, an order's page, Service tracking's drill-down).

use maud::{html, Markup};

use crate::auth::Viewer;
use crate::domain::order_actions::ActionKind;

/// Where an action's confirmation step lives; the buttons submit the selection there (GET).
pub const CONFIRM_PATH: &str = "/actions/new";

/// Buttons that open the confirmation of each bulk action the viewer may start, for the checked
/// `sel` boxes of the form they are in. Nothing is sent before the confirmation.
pub fn bulk_buttons(viewer: &Viewer) -> Markup {
    let kinds: Vec<ActionKind> =
        ActionKind::ALL.into_iter().filter(|k| !k.single() && viewer.is(k.min_role())).collect();
    html! {
        @if !kinds.is_empty() {
            div.selbar.actions role="group" aria-label="Act on the selected orders" {
                span.muted { "Act on selected:" }
                @for k in kinds {
                    button.secondary type="submit" formaction=(CONFIRM_PATH) formmethod="get" name="action" value=(k.as_str()) { (k.label()) "…" }
                }
            }
        }
    }
}
