//! The measured speed beside the promised one (Services page, Service tracking).

use maud::{html, Markup};

use crate::cache::speeds::Speed;

/// The measured speed (median units per day of the orders completed in the last 7 days) and the share
/// of those orders that kept the promised speed; "—" where nothing was completed or nothing promised.
pub fn measured_cells(speed: Option<&Speed>) -> Markup {
    html! {
        @match speed {
            Some(s) => {
                td.num title={ "Median of " (s.orders) " orders completed in the last 7 days" } { (super::opt_num(Some(s.median_per_day))) }
                td.num { @match s.kept_pct() {
                    Some(p) => { (format!("{p:.0}%")) br; span.muted { (s.kept.unwrap_or(0)) " of " (s.orders) } },
                    None => span.muted title="The name promises no speed" { "—" },
                } }
            }
            None => { td.num { span.muted title="No order completed in the last 7 days" { "—" } } td.num { span.muted { "—" } } }
        }
    }
}
