//! Settings → Alerts (admins): the channels alerts go to — add, edit, delete, "Send test" with its
//! result — and the rules' thresholds, which the owner sets. An admin manages channels of their own
//! panels; a channel that covers every panel (also future ones) is the owner's. Secrets are write-only.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use reports::alerts::channels::{
    self, clock, offset_text, parse_clock, parse_offset, Channel, ChannelInput, Kind,
};
use reports::alerts::rules::{self, Rule, RuleBook, RuleSettings};
use reports::alerts::{deliver, Options};
use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::Reads;
use shared::ui::form::{field, secret_input, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

pub const PATH: &str = "/settings/alerts";

#[derive(Deserialize, Default)]
pub struct Q {
    edit: Option<i64>,
}

/// The channels the viewer sees, and the rules' settings: one round trip.
async fn load(state: &AppState, viewer: &Viewer) -> AppResult<(Vec<Channel>, RuleBook)> {
    let mut reads = Reads::new();
    let (chans, links) = channels::list_reads(&mut reads);
    let book = rules::read(&mut reads);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let scope = viewer.scope();
    let list = channels::with_panels(done.all(chans).await?, done.all(links).await?)
        .into_iter()
        .filter(|c| c.visible_to(&scope))
        .collect();
    Ok((list, RuleBook::from_rows(done.all(book).await?)))
}

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

fn table(viewer: &Viewer, list: &[Channel]) -> Markup {
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
                td { @match c.quiet { Some(q) => { (clock(q.start)) "–" (clock(q.end)) " " (offset_text(q.utc_offset)) }, None => span.muted { "none" } } }
                td { (last_result(c)) }
                td {
                    @if mine {
                        form.inline method="post" action=(format!("{PATH}/{}/test", c.id)) {
                            (csrf_input(viewer)) button.secondary type="submit" { "Send test" }
                        }
                        " " a href=(ui::link(viewer, &format!("{PATH}?edit={}", c.id))) { "Edit" } " "
                        form.inline method="post" action=(format!("{PATH}/{}/delete", c.id)) {
                            (csrf_input(viewer))
                            button.secondary type="submit" data-confirm=(format!("Delete the channel {}? Its delivery history goes with it.", c.name)) { "Delete" }
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
        col("Last result"),
        col(""),
    ];
    ui::table(
        &cols,
        &rows,
        ui::empty_state("No channels yet. Add one below: alerts go nowhere until then.", None),
    )
}

fn channel_form(viewer: &Viewer, editing: Option<&Channel>, data: &FormData, errors: &FormErrors) -> Markup {
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
                    "Write-only: blank keeps the saved one. Telegram: the bot token from @BotFather. Slack, Discord, webhook: the full URL. Email: smtp://user:password@host:587?tls=required."
                } else {
                    "Telegram: the bot token from @BotFather. Slack, Discord, webhook: the full URL. Email: smtp://user:password@host:587?tls=required (STARTTLS) or smtps://…:465. Stored encrypted, never shown again."
                }),
                error: errors.get("target"),
            }, secret_input("target")))
            (field(Field { name: "chat_id", label: "Telegram chat id", help: Some("Telegram only: the chat, group or @channel to post in."), error: errors.get("chat_id") },
                text_input("chat_id", &val("chat_id", editing.and_then(|c| c.chat_id.clone())), false, "text")))
            (field(Field { name: "api_base", label: "Telegram API address", help: Some("Telegram only; blank = https://api.telegram.org."), error: errors.get("api_base") },
                text_input("api_base", &val("api_base", editing.and_then(|c| c.api_base.clone())), false, "url")))
            (field(Field { name: "mail_from", label: "Email from", help: Some("Email only: the sender address."), error: errors.get("mail_from") },
                text_input("mail_from", &val("mail_from", editing.and_then(|c| c.mail_from.clone())), false, "text")))
            (field(Field { name: "mail_to", label: "Email to", help: Some("Email only: one or more addresses, separated by commas."), error: errors.get("mail_to") },
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
                    label { " at " input type="text" name="utc_offset" size="9" placeholder="UTC+03:00"
                        value=(val("utc_offset", editing.map(|c| offset_text(c.utc_offset)))); }
                }
                @if let Some(e) = errors.get("quiet") { p.error { (e) } }
                p.help { "Blank = never quiet. During quiet hours only urgent rules are sent; the rest wait until they end." }
            }
            div.field { label { input type="checkbox" name="enabled" value="1" checked[enabled]; " On" } }
            div.actions {
                button type="submit" { @if editing.is_some() { "Save channel" } @else { "Add channel" } }
                @if editing.is_some() { " " a href=(ui::link(viewer, PATH)) { "Cancel" } }
            }
        }
    }
}

fn rules_form(viewer: &Viewer, book: &RuleBook, errors: &FormErrors) -> Markup {
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
            p.help { "Urgent rules break through quiet hours. Each incident is sent once, reminded after the cooldown while open, and one message says when it resolved." }
            @if owner { div.actions { button type="submit" { "Save rules" } } }
            @else { p.muted { "The owner sets the rules' thresholds." } }
        }
    }
}

fn page(
    viewer: &Viewer,
    list: &[Channel],
    book: &RuleBook,
    editing: Option<&Channel>,
    created: Option<(&str, &str)>,
    data: &FormData,
    errors: &FormErrors,
) -> Markup {
    let content = html! {
        @if let Some((name, secret)) = created {
            section.card.created role="status" {
                h2 { "Channel " (name) " added" }
                p { strong { "Copy the signing secret now: it is not shown again." } }
                p { code #new-token { (secret) } " " button.secondary type="button" data-copy=(secret) { "Copy" } }
                p { "Each POST carries " code { "X-Panelops-Timestamp" } " and " code { "X-Panelops-Signature: sha256=<hex>" }
                    ", the HMAC-SHA256 of " code { "<timestamp>.<body>" } " with this secret. Refuse a timestamp more than 5 minutes old." }
            }
        }
        p { "Alerts tell the right people once per incident, in the channel they live in. "
            a href=(ui::link(viewer, "/alerts")) { "Alert history" } }
        (table(viewer, list))
        (channel_form(viewer, editing, data, errors))
        (rules_form(viewer, book, errors))
    };
    ui::page(viewer, "Alerts", content)
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, Query(q): Query<Q>) -> AppResult<Markup> {
    let (list, book) = load(&state, &viewer).await?;
    let editing = q.edit.and_then(|id| list.iter().find(|c| c.id == id));
    Ok(page(&viewer, &list, &book, editing, None, &FormData::default(), &FormErrors::default()))
}

/// The form as a channel; errors by field.
async fn read_form(
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
    let utc_offset = parse_offset(&data.text("utc_offset")).unwrap_or_else(|| {
        errors.add("quiet", "Write the time zone as an offset from UTC, like UTC+03:00 or -5.");
        0
    });
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
        utc_offset,
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

fn no_store(markup: Markup) -> Response {
    let mut res = markup.into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let input = match read_form(&state, &viewer, &data, true).await {
        Ok(i) => i,
        Err(errors) => {
            let (list, book) = load(&state, &viewer).await?;
            return Ok(ui::invalid(page(&viewer, &list, &book, None, None, &data, &errors)));
        }
    };
    let conn = state.db.connect().await?;
    let now = shared::time::now();
    let (id, secret) =
        channels::create(&conn, &state.config.secret_key, &input, Some(viewer.id()), now).await?;
    let kind = input.kind.map(|k| k.as_str()).unwrap_or("");
    log(
        &state,
        &viewer,
        &client,
        "alert_channel.created",
        &format!("{} ({kind}, id {id})", input.name),
        None,
    )
    .await?;
    match secret {
        // The secret is in this answer only: no redirect (it would need storing), and no caching.
        Some(s) => {
            let (list, book) = load(&state, &viewer).await?;
            let body = page(
                &viewer,
                &list,
                &book,
                None,
                Some((&input.name, &s)),
                &FormData::default(),
                &FormErrors::default(),
            );
            Ok(no_store(body))
        }
        None => Ok(flash_redirect(
            PATH,
            &format!("Channel {} added. Send a test to check it.", input.name),
            client.secure,
        )),
    }
}

/// The channel, if this viewer may change it: every panel it covers is theirs, and a channel of
/// every panel is the owner's.
async fn owned(state: &AppState, viewer: &Viewer, id: i64) -> AppResult<Channel> {
    let conn = state.db.connect().await?;
    let c = channels::get(&conn, id).await?.ok_or_else(|| AppError::not_found("That channel"))?;
    if !c.editable_by(&viewer.scope()) || (c.all_panels && !viewer.is(Role::Owner)) {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
    data: FormData,
) -> AppResult<Response> {
    let c = owned(&state, &viewer, id).await?;
    let input = match read_form(&state, &viewer, &data, false).await {
        Ok(mut i) => {
            i.kind = Some(c.kind);
            i
        }
        Err(errors) => {
            let (list, book) = load(&state, &viewer).await?;
            return Ok(ui::invalid(page(&viewer, &list, &book, Some(&c), None, &data, &errors)));
        }
    };
    channels::update(&state.db.connect().await?, &state.config.secret_key, id, &input).await?;
    log(&state, &viewer, &client, "alert_channel.updated", &format!("{} (id {id})", input.name), None)
        .await?;
    Ok(flash_redirect(PATH, &format!("Channel {} saved.", input.name), client.secure))
}

pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = owned(&state, &viewer, id).await?;
    channels::delete(&state.db.connect().await?, id).await?;
    log(&state, &viewer, &client, "alert_channel.deleted", &format!("{} (id {id})", c.name), None).await?;
    Ok(flash_redirect(PATH, &format!("Channel {} deleted.", c.name), client.secure))
}

/// "Send test": one message now; the result is the flash the page shows.
pub async fn test(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = owned(&state, &viewer, id).await?;
    let conn = state.db.connect().await?;
    let key = &state.config.secret_key;
    let public = state.config.public_url.as_deref();
    let opts = Options { attempts: 1, ..Options::default() };
    let msg = match deliver::send_test(&conn, key, state.config.allow_private_urls, public, &c, &opts).await?
    {
        Ok(()) => format!("Test sent to {}: delivered.", c.name),
        Err(e) => format!("Test to {} failed: {e}", c.name),
    };
    log(&state, &viewer, &client, "alert_channel.tested", &msg, None).await?;
    Ok(flash_redirect(PATH, &msg, client.secure))
}

/// A number field: its value, `current` when the form left it out, None when it is not a number.
fn number<T: std::str::FromStr>(data: &FormData, name: &str, current: T) -> Option<T> {
    match data.get(name) {
        None => Some(current),
        Some(v) => v.trim().parse().ok(),
    }
}

/// The rules' thresholds (the owner's, for every panel).
pub async fn save_rules(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let mut stmts = Vec::new();
    let mut errors = FormErrors::default();
    let (_, book) = load(&state, &viewer).await?;
    for r in Rule::ALL {
        let current = book.get(r);
        let name = |what: &str| format!("{}.{what}", r.as_str());
        let threshold = number(&data, &name("threshold"), current.threshold);
        let cooldown = number(&data, &name("cooldown"), current.cooldown_minutes);
        let (Some(threshold), Some(cooldown_minutes)) = (threshold, cooldown) else {
            errors.add(
                "rules_form",
                format!("{}: write the threshold and the reminder as numbers.", r.label()),
            );
            continue;
        };
        let s = RuleSettings { rule: r, threshold, urgent: data.checked(&name("urgent")), cooldown_minutes };
        match rules::save_stmt(&s) {
            Ok(stmt) => stmts.push(stmt),
            Err(e) => errors.add("rules_form", format!("{}: {e}", r.label())),
        }
    }
    if !errors.is_empty() {
        let (list, book) = load(&state, &viewer).await?;
        return Ok(ui::invalid(page(&viewer, &list, &book, None, None, &FormData::default(), &errors)));
    }
    state.db.connect().await?.write_batch(stmts).await?;
    log(&state, &viewer, &client, "alert_rules.updated", "thresholds, urgency and reminders", None).await?;
    Ok(flash_redirect(PATH, "Rules saved.", client.secure))
}
