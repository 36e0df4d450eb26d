//! Competitor tracking report (`/reports/competitors`, JSON and CSV at the same path + `.json`,
//! `.csv`): per tracked service our rate against each confirmed rival match now and at the start of
//! the window, the cheapest rival, where we are the most expensive or the cheapest by far, the
//! rivals' new and removed services and price moves in the window, and a price-history chart per
//! service.

pub mod compute;
pub mod page;
pub mod svg;

use shared::auth::Role;
use shared::{Access, Routes};

pub use compute::{report, CompetitorReport, ReportQuery};

/// Adds the report's routes.
pub fn routes(r: Routes) -> Routes {
    let v = Access::Staff(Role::Viewer);
    r.get("/reports/competitors", v, page::html_page).get("/reports/competitors.json", v, page::json).get(
        "/reports/competitors.csv",
        v,
        page::csv,
    )
}
