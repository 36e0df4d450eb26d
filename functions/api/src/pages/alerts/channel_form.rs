//! Settings → Alerts' channel form: what it shows (kind, target, rules, panels, quiet hours, time
//! zone, digests) and how it is read back into a channel, with errors by field.

use maud::{html, Markup};

use panelops_reports::alerts::channels::{self, clock, parse_clock, Channel, ChannelInput, Kind};
use panelops_reports::alerts::digest::schedule::DigestSchedule;
use panelops_reports::alerts::rules::Rule;
use panelops_reports::alerts::zone::{self, WEEKDAYS};
use shared::auth::{Role, Viewer};
use shared::ui::form::{field, secret_input, text_input, Field, FormData, FormErrors};
use shared::ui::{self, csrf_input};
use shared::AppState;

use super::settings::PATH;

pub fn channel_form(
    viewer: &Viewer,
    editing: Option<&Channel>,
    data: &FormData,
    errors: &FormErrors,
) -> Markup {
    let action = editing.map(|c| format!("{PATH}/{}", c.id)).unwrap_or_else(|| PATH.to_string());
    // A re-shown form keeps what was typed; an edit starts from the channel.
    let typed = !data.0.is_empty();
    let val = |name: &str, saved: Option<String>| {
        if typed {
            data.get(name).unwrap_or("").to_string()
        } else {
            saved.unwrap_or_default()
        }
    };
    let kind = if typed { Kind::parse(data.get("kind").unwrap_or("")) } else { editing.map(|c| c.kind) };
    let chosen_rules: Vec<Rule> = if typed {
        data.all("rules").into_iter().filter_map(Rule::parse).collect()
    } else {
        editing.map(|c| c.rules.clone()).unwrap_or_else(|| Rule::ALL.to_vec())
    };
    let all_panels = if typed { data.checked("all_panels") } else { editing.is_some_and(|c| c.all_panels) };
    let panels =
        if typed { data.ids("panels") } else { editing.map(|c| c.panels.clone()).unwrap_or_default() };
    let quiet = editing.and_then(|c| c.quiet);
    let enabled = if typed { data.checked("enabled") } else { editing.is_none_or(|c| c.enabled) };
    let digest = editing.map(|c| c.digest).unwrap_or_default();
    let (daily, weekly) = if typed {
        (data.checked("digest_daily"), data.checked("digest_weekly"))
    } else {
        (digest.daily, digest.weekly)
    };
    let hour =
        if typed { data.get("digest_hour").and_then(|h| h.parse().ok()).unwrap_or(9) } else { digest.hour };
    let weekday = if typed {
        data.get("digest_weekday").and_then(|d| d.parse().ok()).unwrap_or(1)
    } else {
        digest.weekday
    };
    html! {
        form.card method="post" action=(action) {
            h2 { @if let Some(c) = editing { "Edit " (c.name) } @else { "Add channel" } }
            @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: Some("e.g. \"Owner's Telegram\"."), error: errors.get("name") },
                text_input("name", &val("name", editing.map(|c| c.name.clone())), true, "text")))
            @if let Some(c) = editing {
                input type="hidden" name="kind" value=(c.kind.as_str());
                p { "Kind: " strong { (c.kind.label()) } }
            } @else {
                (field(Field { name: "kind", label: "Kind", help: None, error: errors.get("kind") }, html! {
                    select #kind name="kind" {
                        @for k in Kind::ALL { option value=(k.as_str()) selected[kind == Some(k)] { (k.label()) } }
                    }
                }))
            }
            (field(Field {
                name: "target",
                label: "Webhook URL, bot token or SMTP URL",
                help: Some(if editing.is_some() {
                    "Write-only: blank keeps the saved one. Telegram: the bot token from @BotFather. Slack, Discord, webhook: the full URL. Email: \
                        smtp://user:password@host:587?tls=required."
                } else {
                    "Telegram: the bot token from @BotFather. Slack, Discord, webhook: the full URL. Email: \
                        smtp://user:password@host:587?tls=required (STARTTLS) or smtps://…:465. Stored encrypted, never shown again."
                }),
                error: errors.get("target"),
            }, secret_input("target")))
            (field(Field { name: "chat_id", label: "Telegram chat id",
                help: Some("Telegram only: the chat, group or @channel to post in."), error: errors.get("chat_id") },
                text_input("chat_id", &val("chat_id", editing.and_then(|c| c.chat_id.clone())), false, "text")))
            (field(Field { name: "api_base", label: "Telegram API address",
                help: Some("Telegram only; blank = https://api.telegram.org."), error: errors.get("api_base") },
                text_input("api_base", &val("api_base", editing.and_then(|c| c.api_base.clone())), false, "url")))
            (field(Field { name: "mail_from", label: "Email from", help: Some("Email only: the sender address."), error: errors.get("mail_from") },
                text_input("mail_from", &val("mail_from", editing.and_then(|c| c.mail_from.clone())), false, "text")))
            (field(Field { name: "mail_to", label: "Email to",
                help: Some("Email only: one or more addresses, separated by commas."), error: errors.get("mail_to") },
                text_input("mail_to", &val("mail_to", editing.and_then(|c| c.mail_to.clone())), false, "text")))
            div.field.invalid[errors.get("rules").is_some()] {
                label { "Rules" }
                div.checks {
                    @for r in Rule::ALL {
                        label { input type="checkbox" name="rules" value=(r.as_str()) checked[chosen_rules.contains(&r)]; " " (r.label()) }
                    }
                }
                @if let Some(e) = errors.get("rules") { p.error { (e) } }
            }
            div.field.invalid[errors.get("panels").is_some()] {
                label { "Panels" }
                div.checks {
                    @if viewer.is(Role::Owner) {
                        label { input type="checkbox" name="all_panels" value="1" checked[all_panels]; " All panels (also future ones)" }
                    }
                    @for p in &viewer.panels {
                        label { input type="checkbox" name="panels" value=(p.id) checked[panels.contains(&p.id)]; " " (p.name) }
                    }
                }
                @if let Some(e) = errors.get("panels") { p.error { (e) } }
            }
            div.field.invalid[errors.get("quiet").is_some()] {
                label { "Quiet hours" }
                div.checks {
                    label { "From " input type="time" name="quiet_start" value=(val("quiet_start", quiet.map(|q| clock(q.start)))); }
                    label { " to " input type="time" name="quiet_end" value=(val("quiet_end", quiet.map(|q| clock(q.end)))); }
                }
                @if let Some(e) = errors.get("quiet") { p.error { (e) } }
                p.help { "Blank = never quiet. During quiet hours only urgent rules are sent; the rest wait until they end." }
            }
            (field(Field { name: "time_zone", label: "Time zone", help: Some("By its name, like Europe/Berlin or America/New_York: quiet hours and \
                digests follow its clock, daylight saving included. Blank = UTC."), error: errors.get("time_zone") },
                html! {
                    input #time_zone type="text" name="time_zone" list="time-zones" autocomplete="off"
                        value=(val("time_zone", editing.map(|c| c.time_zone.name().to_string())));
                    datalist #time-zones { @for z in zone::names() { option value=(z); } }
                }))
            div.field.invalid[errors.get("digest").is_some()] {
                label { "Digests" }
                div.checks {
                    label { input type="checkbox" name="digest_daily" value="1" checked[daily]; " Daily (the day before)" }
                    label { input type="checkbox" name="digest_weekly" value="1" checked[weekly]; " Weekly (the 7 days before), on " }
                    select name="digest_weekday" aria-label="Weekly digest's day" {
                        @for (i, d) in WEEKDAYS.iter().enumerate() { option value=(i + 1) selected[weekday as usize == i + 1] { (d) } }
                    }
                    label { " at " select name="digest_hour" aria-label="Digest hour" {
                        @for h in 0..24i64 { option value=(h) selected[hour == h] { (clock(h * 60)) } }
                    } }
                }
                @if let Some(e) = errors.get("digest") { p.error { (e) } }
                p.help { "Orders, revenue, new users and deposits per panel against the period before, the worst services, open incidents and the \
                    staff table of Ticket tracking, for this channel's panels, at this hour of its time zone." }
            }
            div.field { label { input type="checkbox" name="enabled" value="1" checked[enabled]; " On" } }
            div.actions {
                button type="submit" { @if editing.is_some() { "Save channel" } @else { "Add channel" } }
                @if editing.is_some() { " " a href=(ui::link(viewer, PATH)) { "Cancel" } }
            }
        }
    }
}

/// The form as a channel; errors by field.
pub async fn read_form(
    state: &AppState,
    viewer: &Viewer,
    data: &FormData,
    creating: bool,
) -> Result<ChannelInput, FormErrors> {
    let mut errors = FormErrors::default();
    let rules: Vec<Rule> = data.all("rules").into_iter().filter_map(Rule::parse).collect();
    let all_panels = data.checked("all_panels");
    let panels = data.ids("panels");
    if all_panels && !viewer.is(Role::Owner) {
        errors.add("panels", "Only the owner adds a channel for every panel; choose your panels.");
    }
    if panels.iter().any(|p| !viewer.panels.iter().any(|v| v.id == *p)) {
        errors.add("panels", "One of the chosen panels is not yours.");
    }
    let quiet = match (data.text("quiet_start"), data.text("quiet_end")) {
        (s, e) if s.is_empty() && e.is_empty() => None,
        (s, e) => match (parse_clock(&s), parse_clock(&e)) {
            (Some(s), Some(e)) => Some((s, e)),
            _ => {
                errors.add("quiet", "Give both times, like 22:00 and 07:00, or leave both blank.");
                None
            }
        },
    };
    let zone_text = data.text("time_zone");
    let time_zone = match zone_text.trim() {
        "" => None,
        name => zone::parse_zone(name).or_else(|| {
            errors
                .add("time_zone", "Write the time zone by its name, like Europe/Berlin or America/New_York.");
            None
        }),
    };
    let digest = DigestSchedule {
        daily: data.checked("digest_daily"),
        weekly: data.checked("digest_weekly"),
        hour: data.get("digest_hour").and_then(|h| h.trim().parse().ok()).unwrap_or(9),
        weekday: data.get("digest_weekday").and_then(|d| d.trim().parse().ok()).unwrap_or(1),
    };
    let target = shared::ui::form::secret_value(data.get("target")).filter(|t| !t.is_empty());
    let input = ChannelInput {
        name: data.text("name"),
        kind: Kind::parse(data.get("kind").unwrap_or("")),
        target,
        chat_id: Some(data.text("chat_id")).filter(|c| !c.is_empty()),
        api_base: Some(data.text("api_base")).filter(|c| !c.is_empty()),
        mail_from: Some(data.text("mail_from")).filter(|c| !c.is_empty()),
        mail_to: Some(data.text("mail_to")).filter(|c| !c.is_empty()),
        rules,
        all_panels,
        panels,
        quiet,
        time_zone,
        digest,
        enabled: data.checked("enabled"),
    };
    if let Err((f, m)) = channels::validate(&input, creating) {
        errors.add(f, m);
    }
    if errors.is_empty() {
        if let Err((f, m)) = channels::check_addresses(&input, state.config.allow_private_urls).await {
            errors.add(f, m);
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}
