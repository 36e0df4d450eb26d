//! Settings → Alerts' channel table (each channel's panels, rules, quiet hours, digests and last
//! result, a failed delivery in red) and the rules' settings form.

use maud::{html, Markup};

use panelops_reports::alerts::channels::{clock, Channel};
use panelops_reports::alerts::rules::{Rule, RuleBook};
use panelops_reports::alerts::zone::WEEKDAYS;
use shared::auth::{Role, Viewer};
use shared::ui::form::FormErrors;
use shared::ui::{self, col, csrf_input};

use super::settings::PATH;

fn panels_text(viewer: &Viewer, c: &Channel) -> String {
    if c.all_panels {
        "All panels".into()
    } else {
        c.panels.iter().map(|p| viewer.panel_name(*p)).collect::<Vec<_>>().join(", ")
    }
}

fn rules_text(c: &Channel) -> String {
    if Rule::ALL.iter().all(|r| c.rules.contains(r)) {
        "All rules".into()
    } else {
        c.rules.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }
}

fn last_result(c: &Channel) -> Markup {
    let failed_last = match (c.last_error_at, c.last_ok_at) {
        (Some(e), Some(ok)) => e >= ok,
        (Some(_), None) => true,
        _ => false,
    };
    html! {
        @if failed_last {
            (ui::status_label("error")) " " (ui::opt_time(c.last_error_at)) br;
            span.error { (ui::cut(c.last_error.as_deref().unwrap_or(""), 120)) }
        } @else if let Some(ok) = c.last_ok_at {
            (ui::status_label("ok")) " delivered " (ui::time(ok))
        } @else {
            span.muted { "nothing sent yet" }
        }
    }
}

pub fn table(viewer: &Viewer, list: &[Channel]) -> Markup {
    let scope = viewer.scope();
    let rows: Vec<Markup> = list
        .iter()
        .map(|c| {
            let mine = c.editable_by(&scope) && (!c.all_panels || viewer.is(Role::Owner));
            html! { tr {
                td { (c.name) @if !c.enabled { " " span.muted { "(off)" } } }
                td { (c.kind.label()) }
                td { code { (c.target_hint) } @if let Some(chat) = &c.chat_id { " chat " code { (chat) } }
                     @if let Some(to) = &c.mail_to { " to " (to) } }
                td { (panels_text(viewer, c)) }
                td { (rules_text(c)) }
                td { @match c.quiet { Some(q) => { (clock(q.start)) "–" (clock(q.end)) }, None => span.muted { "none" } }
                     br; span.muted { (c.time_zone.name()) } }
                td { (digests_text(c)) }
                td { (last_result(c)) }
                td {
                    @if mine {
                        form.inline method="post" action=(format!("{PATH}/{}/test", c.id)) {
                            (csrf_input(viewer)) button.secondary type="submit" { "Send test" }
                        }
                        " " a href=(ui::link(viewer, &format!("{PATH}?edit={}", c.id))) { "Edit" } " "
                        form.inline method="post" action=(format!("{PATH}/{}/delete", c.id)) {
                            (csrf_input(viewer))
                            button.secondary type="submit"
                                data-confirm=(format!("Delete the channel {}? Its delivery history goes with it.", c.name)) { "Delete" }
                        }
                    }
                }
            } }
        })
        .collect();
    let cols = [
        col("Name"),
        col("Kind"),
        col("Sends to"),
        col("Panels"),
        col("Rules"),
        col("Quiet hours"),
        col("Digests"),
        col("Last result"),
        col(""),
    ];
    ui::table(
        &cols,
        &rows,
        ui::empty_state("No channels yet. Add one below: alerts go nowhere until then.", None),
    )
}

fn digests_text(c: &Channel) -> String {
    let at = clock(c.digest.hour * 60);
    let day = WEEKDAYS.get(c.digest.weekday.saturating_sub(1) as usize).copied().unwrap_or("Monday");
    match (c.digest.daily, c.digest.weekly) {
        (false, false) => "none".into(),
        (true, false) => format!("daily at {at}"),
        (false, true) => format!("weekly, {day}s at {at}"),
        (true, true) => format!("daily at {at}, weekly on {day}s"),
    }
}

pub fn rules_form(viewer: &Viewer, book: &RuleBook, errors: &FormErrors) -> Markup {
    let owner = viewer.is(Role::Owner);
    html! {
        form.card method="post" action=(format!("{PATH}/rules")) {
            h2 { "Rules" }
            @if let Some(e) = errors.get("rules_form") { p.error role="alert" { (e) } }
            (csrf_input(viewer))
            (ui::table(&[col("Rule"), col("Threshold"), col("Urgent"), col("Reminder after (min)")],
                &book.0.iter().map(|s| html! { tr {
                    td { strong { (s.rule.label()) } br; span.help { (s.rule.threshold_help()) } }
                    td { @if s.rule.has_threshold() {
                        input type="number" name=(format!("{}.threshold", s.rule.as_str())) value=(s.threshold) min="0" step="any" disabled[!owner];
                    } @else { span.muted { "—" } } }
                    td { input type="checkbox" name=(format!("{}.urgent", s.rule.as_str())) value="1" checked[s.urgent] disabled[!owner]; }
                    td { @if s.rule.resolves() {
                        input type="number" name=(format!("{}.cooldown", s.rule.as_str())) value=(s.cooldown_minutes) min="1" disabled[!owner];
                    } @else { span.muted { "told once" } } }
                } }).collect::<Vec<_>>(),
                ui::empty_state("", None)))
            p.help { "Urgent rules break through quiet hours. Each incident is sent once, reminded after the cooldown while open, and one message \
                says when it resolved." }
            @if owner { div.actions { button type="submit" { "Save rules" } } }
            @else { p.muted { "The owner sets the rules' thresholds." } }
        }
    }
}
