//! The built-in rules: what each watches, its threshold and whether it has a "resolved" message.
//! An owner may change a rule's threshold, reminder cooldown and whether it breaks through quiet
//! hours (`alert_rules`); a rule without a row there uses the defaults written here.

use libsql::params;
use shared::db::{Reads, Row, Stmt};
use shared::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    ServiceCritical,
    StuckOrders,
    SyncTrouble,
    WaitingTicket,
    BigDeposit,
    ProviderFailing,
    BadReply,
    NewWhale,
    RiskyPayment,
    RivalUndercut,
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::ServiceCritical,
        Rule::StuckOrders,
        Rule::ProviderFailing,
        Rule::SyncTrouble,
        Rule::WaitingTicket,
        Rule::BigDeposit,
        Rule::NewWhale,
        Rule::RiskyPayment,
        Rule::BadReply,
        Rule::RivalUndercut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ServiceCritical => "service_critical",
            Rule::StuckOrders => "stuck_orders",
            Rule::SyncTrouble => "sync_trouble",
            Rule::WaitingTicket => "waiting_ticket",
            Rule::BigDeposit => "big_deposit",
            Rule::ProviderFailing => "provider_failing",
            Rule::BadReply => "bad_reply",
            Rule::NewWhale => "new_whale",
            Rule::RiskyPayment => "risky_payment",
            Rule::RivalUndercut => "rival_undercut",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Rule::ServiceCritical => "Service critical",
            Rule::StuckOrders => "Stuck orders",
            Rule::SyncTrouble => "Sync trouble",
            Rule::WaitingTicket => "Waiting ticket",
            Rule::BigDeposit => "Big deposit",
            Rule::ProviderFailing => "Provider failing",
            Rule::BadReply => "Bad reply",
            Rule::NewWhale => "New whale",
            Rule::RiskyPayment => "Risky payment",
            Rule::RivalUndercut => "Rival undercut",
        }
    }

    /// What the threshold means, for the settings page.
    pub fn threshold_help(self) -> &'static str {
        match self {
            Rule::ServiceCritical => "fires when a tracked service's score (default Service tracking profile, 24 h) is below this",
            Rule::StuckOrders => "fires when a panel has more stuck orders than this",
            Rule::SyncTrouble => "fires when a panel's key is refused, a resource is in error, or its data is older than this many intervals",
            Rule::WaitingTicket => "fires when a pending ticket has waited this many minutes for a staff reply",
            Rule::BigDeposit => "fires once for a completed payment of at least this amount",
            Rule::ProviderFailing => "fires when this % or more of a provider's orders of the last hour failed (at least 10 orders)",
            Rule::BadReply => "fires once when the AI reviewer judges a staff reply bad (no threshold)",
            Rule::NewWhale => "fires once for a user who deposits at least this amount (completed payments) within 24 h of signing up",
            Rule::RiskyPayment => "fires once for a payment whose fraud risk (as the Payments page computes it) is high (no threshold)",
            Rule::RivalUndercut => "fires once when a rival's rate on a confirmed match drops to at least this % below ours",
        }
    }

    pub fn default_threshold(self) -> f64 {
        match self {
            Rule::ServiceCritical => 40.0,
            Rule::StuckOrders => 50.0,
            Rule::SyncTrouble => 2.0,
            Rule::WaitingTicket => 60.0,
            Rule::BigDeposit => 500.0,
            Rule::ProviderFailing => 30.0,
            Rule::BadReply => 0.0,
            Rule::NewWhale => 200.0,
            Rule::RiskyPayment => 0.0,
            Rule::RivalUndercut => 10.0,
        }
    }

    /// Urgent rules break through a channel's quiet hours unless the owner decides otherwise.
    pub fn default_urgent(self) -> bool {
        matches!(self, Rule::ServiceCritical | Rule::SyncTrouble)
    }

    /// False for an event (a payment): it opens once and has no "resolved" message or reminder.
    pub fn resolves(self) -> bool {
        !matches!(
            self,
            Rule::BigDeposit | Rule::BadReply | Rule::NewWhale | Rule::RiskyPayment | Rule::RivalUndercut
        )
    }

    /// False for a rule that fires on a fact alone (a bad verdict, a high risk).
    pub fn has_threshold(self) -> bool {
        !matches!(self, Rule::BadReply | Rule::RiskyPayment)
    }
}

/// A rule with the owner's settings applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleSettings {
    pub rule: Rule,
    pub threshold: f64,
    pub urgent: bool,
    pub cooldown_minutes: i64,
}

pub const DEFAULT_COOLDOWN_MINUTES: i64 = 360;

impl RuleSettings {
    pub fn default_for(rule: Rule) -> RuleSettings {
        RuleSettings {
            rule,
            threshold: rule.default_threshold(),
            urgent: rule.default_urgent(),
            cooldown_minutes: DEFAULT_COOLDOWN_MINUTES,
        }
    }
}

/// Every rule's settings, in `Rule::ALL` order.
#[derive(Clone, Debug)]
pub struct RuleBook(pub Vec<RuleSettings>);

impl RuleBook {
    pub fn get(&self, rule: Rule) -> RuleSettings {
        self.0.iter().find(|s| s.rule == rule).copied().unwrap_or_else(|| RuleSettings::default_for(rule))
    }

    pub fn from_rows(rows: Vec<(String, f64, bool, i64)>) -> RuleBook {
        RuleBook(
            Rule::ALL
                .into_iter()
                .map(|rule| {
                    rows.iter()
                        .find(|r| r.0 == rule.as_str())
                        .map(|r| RuleSettings { rule, threshold: r.1, urgent: r.2, cooldown_minutes: r.3 })
                        .unwrap_or_else(|| RuleSettings::default_for(rule))
                })
                .collect(),
        )
    }
}

fn row_of(r: &Row) -> AppResult<(String, f64, bool, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get::<i64>(2)? != 0, r.get(3)?))
}

/// Adds the rule settings to a batch of reads.
pub fn read(reads: &mut Reads) -> shared::db::Read<(String, f64, bool, i64)> {
    reads.add(Stmt::new("SELECT rule, threshold, urgent, cooldown_minutes FROM alert_rules", ()), row_of)
}

/// Saves one rule's settings.
pub fn save_stmt(s: &RuleSettings) -> AppResult<Stmt> {
    if !s.threshold.is_finite() || s.threshold < 0.0 || s.cooldown_minutes < 1 {
        return Err(AppError::bad_request(
            "A threshold is a number of 0 or more, a cooldown at least 1 minute.",
        ));
    }
    Ok(Stmt::new(
        "INSERT INTO alert_rules (rule, threshold, urgent, cooldown_minutes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (rule) DO UPDATE SET threshold = excluded.threshold, urgent = excluded.urgent,
           cooldown_minutes = excluded.cooldown_minutes",
        params![s.rule.as_str(), s.threshold, s.urgent as i64, s.cooldown_minutes],
    ))
}

/// A channel's rule list as stored: '' = every rule.
pub fn parse_list(text: &str) -> Vec<Rule> {
    if text.trim().is_empty() {
        return Rule::ALL.to_vec();
    }
    text.split(',').filter_map(Rule::parse).collect()
}

pub fn list_text(rules: &[Rule]) -> String {
    if Rule::ALL.iter().all(|r| rules.contains(r)) {
        return String::new();
    }
    rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        assert_eq!(parse_list(""), Rule::ALL.to_vec());
        assert_eq!(list_text(&Rule::ALL), "");
        let some = vec![Rule::StuckOrders, Rule::BigDeposit];
        assert_eq!(parse_list(&list_text(&some)), some);
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(r));
        }
    }
}
