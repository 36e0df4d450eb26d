//! Competitor tracking pages: the competitor panels (`rivals`), matching our services to theirs
//! (`matches`) and report profiles (`profiles`). Viewers read; admins and owners edit. Competitors,
//! matches and profiles belong to one of our panels, so panel scope applies to all of them.

pub mod matches;
pub mod profiles;
pub mod rivals;

use maud::{html, Markup};
use serde::Deserialize;
use shared::auth::Viewer;
use shared::ui::link;
use shared::{AppError, AppResult};

/// `?id=N` of an edit page: absent or blank = a new one.
#[derive(Deserialize)]
pub struct IdQuery {
    id: Option<String>,
}

impl IdQuery {
    /// The id, when one is given; `what` names the thing in the error ("a profile").
    pub fn id(&self, what: &str) -> AppResult<Option<i64>> {
        match self.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                s.parse().map(Some).map_err(|_| AppError::bad_request(format!("id must be {what}'s number.")))
            }
            None => Ok(None),
        }
    }
}

/// The panel a per-panel page works on: the one chosen in the switcher, else the first in scope.
pub fn working_panel(viewer: &Viewer) -> Option<i64> {
    viewer.panel.or_else(|| viewer.panels.first().map(|p| p.id))
}

/// Tabs between the competitor pages and the report.
pub fn tabs(viewer: &Viewer, current: &str) -> Markup {
    let items = [
        ("/competitors", "Competitor panels"),
        ("/competitors/matches", "Matches"),
        ("/competitors/profiles", "Profiles"),
        ("/reports/competitors", "Report"),
    ];
    html! {
        nav.tabs aria-label="Competitor tracking" {
            @for (href, label) in items {
                a href=(link(viewer, href)) aria-current=[(href == current).then_some("page")] { (label) }
                " "
            }
        }
    }
}

/// A panel picker for forms: the panels in scope, `selected` preselected.
pub fn panel_select(viewer: &Viewer, selected: Option<i64>) -> Markup {
    html! {
        select #panel_id name="panel_id" {
            @for p in &viewer.panels {
                option value=(p.id) selected[selected == Some(p.id)] { (p.name) }
            }
        }
    }
}
