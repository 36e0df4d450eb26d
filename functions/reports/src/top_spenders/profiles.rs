//! User tracking profiles: optional user ids, Min payments, Min spend. Profile 1 (from the migration)
//! is the default. Stored, listed and edited by [`crate::profiles`].

use libsql::Value;
use maud::{html, Markup};
use serde::Serialize;
use shared::db::Row;
use shared::pp::money;
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{col, num, Col};
use shared::AppResult;

use crate::common::{ids_text, parse_ids};
use crate::profiles::{Head, Paths, Profile};

#[derive(Clone, Debug, Serialize)]
pub struct UserProfile {
    pub id: i64,
    pub name: String,
    /// User ids the report is limited to; empty = every user.
    pub user_ids: Vec<i64>,
    pub min_payments: i64,
    /// Micro-units.
    pub min_spend: i64,
    pub is_default: bool,
    pub created: i64,
}

/// A user tracking profile's settings, as the form gives them.
pub struct Settings {
    pub user_ids: Vec<i64>,
    pub min_payments: i64,
    /// Micro-units.
    pub min_spend: i64,
}

impl Profile for UserProfile {
    type Settings = Settings;
    const TABLE: &'static str = "user_profiles";
    const COLUMNS: &'static [&'static str] = &["user_ids", "min_payments", "min_spend"];
    const KIND: &'static str = "user tracking";
    const ACTIONS: [&'static str; 3] =
        ["user_profile.created", "user_profile.updated", "user_profile.deleted"];
    const PATHS: Paths = Paths {
        report: "/reports/top-spenders",
        list: "/reports/top-spenders/profiles",
        new: "/reports/top-spenders/profiles/new",
        item: "/reports/top-spenders/profiles/{id}",
        delete: "/reports/top-spenders/profiles/{id}/delete",
    };

    fn head(&self) -> Head<'_> {
        Head { id: self.id, name: &self.name, is_default: self.is_default, created: self.created }
    }
    fn from_row(r: &Row) -> AppResult<Self> {
        Ok(UserProfile {
            id: r.get(0)?,
            name: r.get(1)?,
            is_default: r.get::<i64>(2)? != 0,
            created: r.get(3)?,
            user_ids: parse_ids(&r.get::<String>(4)?).unwrap_or_default(),
            min_payments: r.get(5)?,
            min_spend: r.get(6)?,
        })
    }
    fn bind(s: &Settings) -> Vec<Value> {
        vec![ids_text(&s.user_ids).into(), s.min_payments.into(), s.min_spend.into()]
    }
    fn list_columns() -> Vec<Col<'static>> {
        vec![col("Users"), num("Min payments"), num("Min spend")]
    }
    fn list_cells(&self) -> Markup {
        html! {
            td { @if self.user_ids.is_empty() { "All" } @else { (ids_text(&self.user_ids)) } }
            td.num { (self.min_payments) } td.num { (money::usd(self.min_spend)) }
        }
    }
    fn fields(saved: Option<&Self>, value: &dyn Fn(&str, String) -> String, errors: &FormErrors) -> Markup {
        let users = value("user_ids", saved.map(|p| ids_text(&p.user_ids)).unwrap_or_default());
        let min_payments = value("min_payments", saved.map_or(0, |p| p.min_payments).to_string());
        let min_spend = value("min_spend", money::format(saved.map_or(0, |p| p.min_spend)));
        html! {
            (field(Field { name: "user_ids", label: "Users",
                help: Some("User ids separated by commas; leave empty for every user."), error: errors.get("user_ids") },
                text_input("user_ids", &users, false, "text")))
            (field(Field { name: "min_payments", label: "Min payments",
                help: Some("Drop users with fewer completed payments in the window."), error: errors.get("min_payments") },
                text_input("min_payments", &min_payments, true, "number")))
            (field(Field { name: "min_spend", label: "Min spend ($)",
                help: Some("Drop users whose window spend is below this amount."), error: errors.get("min_spend") },
                text_input("min_spend", &min_spend, true, "text")))
        }
    }
    fn validate(data: &FormData, e: &mut FormErrors) -> Settings {
        let user_ids = parse_ids(&data.text("user_ids")).unwrap_or_else(|m| {
            e.add("user_ids", m);
            Vec::new()
        });
        let min_payments = match data.text("min_payments").parse::<i64>() {
            Ok(n) if (0..=1_000_000).contains(&n) => n,
            _ => {
                e.add("min_payments", "Enter a whole number from 0 to 1000000.");
                0
            }
        };
        let min_spend = match money::parse_decimal(&data.text("min_spend")) {
            Some(m) if m >= 0 => m,
            _ => {
                e.add("min_spend", "Enter an amount like 0, 25 or 12.50.");
                0
            }
        };
        Settings { user_ids, min_payments, min_spend }
    }
    fn describe(s: &Settings) -> String {
        format!(
            "min payments {}, min spend {}, users [{}]",
            s.min_payments,
            money::format(s.min_spend),
            ids_text(&s.user_ids)
        )
    }
}
