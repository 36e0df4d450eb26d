//! Service tracking profiles: which services, Stuck after, Slow multiplier, Min orders. Profile 1 is
//! created by the migration as the default. Stored, listed and edited by [`crate::profiles`].

use libsql::Value;
use maud::{html, Markup};
use serde::Serialize;
use shared::db::Row;
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{col, num, Col};
use shared::AppResult;

use crate::common::{ids_text, parse_ids};
use crate::profiles::{Head, Paths, Profile};

#[derive(Clone, Debug, Serialize)]
pub struct ServiceProfile {
    pub id: i64,
    pub name: String,
    /// Service ids tracked; empty = every service.
    pub services: Vec<i64>,
    pub stuck_after_hours: i64,
    pub slow_multiplier: f64,
    pub min_orders: i64,
    pub is_default: bool,
    pub created: i64,
}

/// A service tracking profile's settings, as the form gives them.
pub struct Settings {
    pub services: Vec<i64>,
    pub stuck_after_hours: i64,
    pub slow_multiplier: f64,
    pub min_orders: i64,
}

impl Profile for ServiceProfile {
    type Settings = Settings;
    const TABLE: &'static str = "service_profiles";
    const COLUMNS: &'static [&'static str] =
        &["services", "stuck_after_hours", "slow_multiplier", "min_orders"];
    const KIND: &'static str = "service tracking";
    const ACTIONS: [&'static str; 3] =
        ["service_profile.created", "service_profile.updated", "service_profile.deleted"];
    const PATHS: Paths = Paths {
        report: "/reports/service-health",
        list: "/reports/service-health/profiles",
        new: "/reports/service-health/profiles/new",
        item: "/reports/service-health/profiles/{id}",
        delete: "/reports/service-health/profiles/{id}/delete",
    };

    fn head(&self) -> Head<'_> {
        Head { id: self.id, name: &self.name, is_default: self.is_default, created: self.created }
    }
    fn from_row(r: &Row) -> AppResult<Self> {
        Ok(ServiceProfile {
            id: r.get(0)?,
            name: r.get(1)?,
            is_default: r.get::<i64>(2)? != 0,
            created: r.get(3)?,
            services: parse_ids(&r.get::<String>(4)?).unwrap_or_default(),
            stuck_after_hours: r.get(5)?,
            slow_multiplier: r.get(6)?,
            min_orders: r.get(7)?,
        })
    }
    fn bind(s: &Settings) -> Vec<Value> {
        vec![
            ids_text(&s.services).into(),
            s.stuck_after_hours.into(),
            s.slow_multiplier.into(),
            s.min_orders.into(),
        ]
    }
    fn list_columns() -> Vec<Col<'static>> {
        vec![col("Services"), num("Stuck after"), num("Slow multiplier"), num("Min orders")]
    }
    fn list_cells(&self) -> Markup {
        html! {
            td { @if self.services.is_empty() { "All" } @else { (ids_text(&self.services)) } }
            td.num { (self.stuck_after_hours) "h" } td.num { "×" (self.slow_multiplier) } td.num { (self.min_orders) }
        }
    }
    fn fields(saved: Option<&Self>, value: &dyn Fn(&str, String) -> String, errors: &FormErrors) -> Markup {
        let services = value("services", saved.map(|p| ids_text(&p.services)).unwrap_or_default());
        let stuck = value("stuck_after_hours", saved.map_or(12, |p| p.stuck_after_hours).to_string());
        let slow = value("slow_multiplier", saved.map_or(2.0, |p| p.slow_multiplier).to_string());
        let min_orders = value("min_orders", saved.map_or(5, |p| p.min_orders).to_string());
        let services_help = "Service ids separated by commas; leave empty to track every service.";
        let min_orders_help =
            "A service without stuck orders is listed once it has this many finished orders in the window.";
        html! {
            (field(Field { name: "services", label: "Services", help: Some(services_help), error: errors.get("services") },
                text_input("services", &services, false, "text")))
            (field(Field { name: "stuck_after_hours", label: "Stuck after (hours)", help: Some("An open order older than this with remains > 0 is \
                stuck."), error: errors.get("stuck_after_hours") },
                text_input("stuck_after_hours", &stuck, true, "number")))
            (field(Field { name: "slow_multiplier", label: "Slow multiplier",
                help: Some("Slow = took longer than quantity ÷ min/day × this, in days."), error: errors.get("slow_multiplier") },
                text_input("slow_multiplier", &slow, true, "text")))
            (field(Field { name: "min_orders", label: "Min orders", help: Some(min_orders_help), error: errors.get("min_orders") },
                text_input("min_orders", &min_orders, true, "number")))
        }
    }
    fn validate(data: &FormData, e: &mut FormErrors) -> Settings {
        let services = parse_ids(&data.text("services")).unwrap_or_else(|m| {
            e.add("services", m);
            Vec::new()
        });
        let int = |e: &mut FormErrors, f: &'static str, lo: i64, hi: i64| match data.text(f).parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => n,
            _ => {
                e.add(f, format!("Enter a whole number from {lo} to {hi}."));
                0
            }
        };
        let stuck_after_hours = int(e, "stuck_after_hours", 1, 2160);
        let min_orders = int(e, "min_orders", 0, 1_000_000);
        let slow_multiplier = match data.text("slow_multiplier").parse::<f64>() {
            Ok(m) if m.is_finite() && (0.1..=100.0).contains(&m) => m,
            _ => {
                e.add("slow_multiplier", "Enter a number from 0.1 to 100, e.g. 2 or 1.5.");
                2.0
            }
        };
        Settings { services, stuck_after_hours, slow_multiplier, min_orders }
    }
    fn describe(s: &Settings) -> String {
        format!(
            "stuck after {}h, slow ×{}, min orders {}, services [{}]",
            s.stuck_after_hours,
            s.slow_multiplier,
            s.min_orders,
            ids_text(&s.services)
        )
    }
}
