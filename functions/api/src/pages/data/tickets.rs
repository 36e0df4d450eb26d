//! Tickets: the list, and a ticket's page with its conversation (sanitised), the orders it mentions,
//! canned replies and the reply form that answers through the panel's own API.

use shared::auth::InScope;
use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup, PreEscaped};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::rows::{opt_i64, opt_text};
use shared::db::{Reads, Stmt, Where};
use shared::domain::text::order_ids;
use shared::ui::form::FormData;
use shared::ui::listing::ListQuery;
use shared::ui::{self, col, num};
use shared::{AppError, AppResult, AppState};

use super::canned;
use super::cursor::Cursor;
use super::orders::{order_from, Order, COLUMNS};

const PAGE: usize = 50;
const STATUSES: &[&str] = &["pending", "answered", "closed", "locked"];
const FILTERS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("assignee", "Assignee"),
    ("from", "Created from"),
    ("to", "Created to"),
    ("q", "Search"),
];

pub(super) struct Ticket {
    pub(super) panel_id: i64,
    pub(super) id: i64,
    pub(super) user: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) status: Option<String>,
    pub(super) assignee: Option<String>,
    pub(super) created: i64,
    pub(super) last_update: Option<i64>,
}

pub(super) const TICKET_COLUMNS: &str = "panel_id, id, user, subject, status, assignee, created, last_update";

pub(super) fn ticket_from(r: &shared::db::Row) -> AppResult<Ticket> {
    Ok(Ticket {
        panel_id: r.get(0)?,
        id: r.get(1)?,
        user: opt_text(r, 2)?,
        subject: opt_text(r, 3)?,
        status: opt_text(r, 4)?,
        assignee: opt_text(r, 5)?,
        created: r.get(6)?,
        last_update: opt_i64(r, 7)?,
    })
}

/// The WHERE clause of the list's filters (the panel scope included).
pub(super) fn conditions(viewer: &Viewer, q: &ListQuery) -> AppResult<Where> {
    let mut w = Where::new(viewer.panel_sql("panel_id"));
    if let Some(s) = q.get("status") {
        w.bind("status = ?", s);
    }
    if let Some(a) = q.get("assignee") {
        w.bind("assignee = ?", a);
    }
    super::created_range(&mut w, q)?;
    if let Some(term) = q.get("q") {
        match term.trim_start_matches('#').parse::<i64>() {
            Ok(id) => w.bind("id = ?", id),
            Err(_) => w.bind("user = ?", term),
        }
    }
    Ok(w)
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let mut w = conditions(&viewer, &q)?;
    let cursor = Cursor::parse(q.get("after"))?;
    if let Some(c) = &cursor {
        c.push_condition("created", &mut w);
    }
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets_cache WHERE {} ORDER BY created DESC, panel_id DESC, id DESC LIMIT {}",
        w.sql(),
        PAGE + 1
    );
    let mut reads = Reads::new();
    let list = reads.add(Stmt::new(sql, libsql::params_from_iter(w.args)), ticket_from);
    let assignees = super::distinct(&mut reads, &viewer, "tickets_cache", "assignee");
    let mut done = reads.run(&state.db.connect().await?).await?;
    let mut tickets = done.all(list).await?;
    let assignees = done.all(assignees).await?;
    let more = tickets.len() > PAGE;
    tickets.truncate(PAGE);

    let next = more
        .then(|| {
            tickets
                .last()
                .map(|t| q.href("/tickets", &[], &[("after", Cursor::of(t.created, t.panel_id, t.id))]))
        })
        .flatten();
    let first = cursor.is_some().then(|| q.href("/tickets", &["after"], &[]));
    let chips = q.chips("/tickets", FILTERS, &["after"]);
    let mut tabs =
        vec![("All".to_string(), q.href("/tickets", &["status", "after"], &[]), q.get("status").is_none())];
    for s in STATUSES {
        tabs.push((
            s.to_string(),
            q.href("/tickets", &["after"], &[("status", s.to_string())]),
            q.get("status") == Some(*s),
        ));
    }
    let rows: Vec<Markup> = tickets
        .iter()
        .map(|t| {
            let href = format!("/tickets/{}/{}", t.panel_id, t.id);
            html! { tr {
                td { a href=(href) { (t.id) }
                    @if viewer.panel.is_none() && viewer.panels.len() > 1 { br; span.muted { (viewer.panel_name(t.panel_id)) } } }
                td { @if t.user.is_some() { (super::user_link(t.panel_id, t.user.as_deref(), 24)) } }
                td { a href=(href) { (ui::cut(t.subject.as_deref().unwrap_or("(no subject)"), 70)) } }
                td { @if let Some(s) = &t.status { (ui::status_label(s)) } }
                td { (t.assignee.as_deref().unwrap_or("")) }
                td { (ui::time(t.created)) }
                td { (ui::opt_time(t.last_update)) }
            } }
        })
        .collect();
    let content = html! {
        (ui::tabs(&tabs))
        form.filters method="get" action="/tickets" {
            (q.hidden(&["panel", "status"]))
            (ui::search_field(q.get("q").unwrap_or(""), "Ticket id or username"))
            div { label for="f-assignee" { "Assignee" }
                select #f-assignee name="assignee" {
                    option value="" { "Anyone" }
                    @for a in &assignees { option value=(a) selected[q.get("assignee") == Some(a.as_str())] { (a) } }
                } }
            div { label for="f-from" { "Created from" } input #f-from type="date" name="from" value=(q.get("from").unwrap_or("")); }
            div { label for="f-to" { "to" } input #f-to type="date" name="to" value=(q.get("to").unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, &q.href("/tickets", &["after", "status", "assignee", "from", "to", "q"], &[])))
        p.exports { (shared::export::link(&q.href("/tickets.csv", &["after"], &[]))) }
        (ui::table(&[col("ID"), col("User"), col("Subject"), col("Status"), col("Assignee"), col("Created"), col("Last update")], &rows,
            if chips.is_empty() { ui::nothing_cached("tickets") }
            else { ui::empty_state("No tickets match these filters.", Some(("/tickets", "Clear filters"))) }))
        (ui::pager(first.as_deref(), next.as_deref()))
    };
    Ok(ui::page(&viewer, "Tickets", content))
}

/// Message HTML from a panel, reduced to an allow-list of harmless tags; links lose any script
/// scheme and open without access to the console's window.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .tags(
            [
                "a",
                "b",
                "strong",
                "i",
                "em",
                "u",
                "p",
                "br",
                "ul",
                "ol",
                "li",
                "blockquote",
                "code",
                "pre",
                "span",
            ]
            .into(),
        )
        .generic_attributes(std::collections::HashSet::new())
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

struct Message {
    sender: Option<String>,
    is_staff: bool,
    body: String,
    created: i64,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    InScope((panel_id, id)): InScope<(i64, i64)>,
    q: ListQuery,
) -> AppResult<Markup> {
    let canned = q.int("canned", "Canned reply")?;
    render(&state, &viewer, (panel_id, id), Draft { typed: String::new(), canned }, None).await
}

/// What the reply box holds: the text typed (or a failed send came back with), and a canned reply
/// to add after it.
struct Draft {
    typed: String,
    canned: Option<i64>,
}

/// The typed draft with a canned reply added after it, a blank line between.
fn with_canned(typed: &str, canned: &str) -> String {
    match (typed.trim().is_empty(), canned.is_empty()) {
        (true, _) => canned.to_string(),
        (false, true) => typed.to_string(),
        (false, false) => format!("{}\n\n{canned}", typed.trim_end()),
    }
}

/// The ticket page; `error` is why the reply in `draft` was not sent (shown above the reply box).
async fn render(
    state: &AppState,
    viewer: &Viewer,
    (panel_id, id): (i64, i64),
    draft: Draft,
    error: Option<&str>,
) -> AppResult<Markup> {
    // The ticket, its conversation, the orders it mentions (their ids were read out of the messages
    // when the conversation was stored: `order_ids`), canned replies and AI: one round trip.
    let mut reads = Reads::new();
    let ticket = reads.add(
        Stmt::new(
            format!("SELECT {TICKET_COLUMNS} FROM tickets_cache WHERE panel_id = ?1 AND id = ?2"),
            (panel_id, id),
        ),
        ticket_from,
    );
    let messages = reads.add(
        Stmt::new(
            "SELECT sender_name, is_staff, message, created FROM ticket_messages
             WHERE panel_id = ?1 AND ticket_id = ?2 ORDER BY seq",
            (panel_id, id),
        ),
        |r| {
            Ok(Message {
                sender: opt_text(r, 0)?,
                is_staff: r.get::<i64>(1)? != 0,
                body: r.get(2)?,
                created: r.get(3)?,
            })
        },
    );
    let mentioned = reads.add(
        Stmt::new(
            format!(
                "SELECT {COLUMNS} FROM orders_cache WHERE panel_id = ?1 AND id IN (
                   SELECT value FROM tickets_cache t, json_each('[' || REPLACE(TRIM(COALESCE(t.order_ids, '')), ' ', ',') || ']')
                   WHERE t.panel_id = ?1 AND t.id = ?2)"
            ),
            (panel_id, id),
        ),
        order_from,
    );
    let replies = canned::visible(&mut reads, viewer.id());
    let prompts = reads
        .add(Stmt::new("SELECT id, title FROM ai_prompts ORDER BY title COLLATE NOCASE", ()), |r| {
            Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
        });
    let answers = reads.add(
        Stmt::new(
            "SELECT title, model, output, created_at FROM ai_results WHERE panel_id = ?1 AND ticket_id = ?2
             ORDER BY created_at DESC LIMIT 10",
            (panel_id, id),
        ),
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<i64>(3)?)),
    );
    let mut done = reads.run(&state.db.connect().await?).await?;
    let Some(t) = done.first(ticket).await? else { return Err(AppError::not_found("That ticket")) };
    let messages = done.all(messages).await?;
    let found: HashMap<i64, Order> = done.all(mentioned).await?.into_iter().map(|o| (o.id, o)).collect();
    let (replies, prompts, answers) =
        (done.all(replies).await?, done.all(prompts).await?, done.all(answers).await?);
    // In order of first mention, as the conversation reads.
    let mentioned: Vec<i64> = {
        let mut ids = Vec::new();
        for m in &messages {
            for i in order_ids(&m.body) {
                if !ids.contains(&i) {
                    ids.push(i);
                }
            }
        }
        ids
    };
    let canned = draft.canned.and_then(|cid| replies.iter().find(|c| c.id == cid));
    let draft = with_canned(&draft.typed, canned.map_or("", |c| c.body.as_str()));
    let can_reply = viewer.is(Role::Agent);
    let content = html! {
        dl.facts.inline {
            dt { "Panel" } dd { (viewer.panel_name(panel_id)) }
            dt { "User" } dd { (super::user_link(panel_id, t.user.as_deref(), 80)) }
            dt { "Status" } dd { @if let Some(s) = &t.status { (ui::status_label(s)) } }
            dt { "Assignee" } dd { (t.assignee.as_deref().unwrap_or("—")) }
            dt { "Created" } dd { (ui::time(t.created)) }
            dt { "Last update" } dd { (ui::opt_time(t.last_update)) }
        }
        div.ticketgrid {
            section.conversation aria-label="Conversation" {
                @if messages.is_empty() {
                    (ui::empty_state("The messages of this ticket are not cached yet; the next sync of ticket messages brings them.", None))
                }
                @for m in &messages {
                    article.message.staff[m.is_staff] {
                        header { strong { (m.sender.as_deref().unwrap_or(if m.is_staff { "Staff" } else { "Customer" })) }
                            " " span.muted { @if m.is_staff { "staff" } @else { "customer" } " · " (ui::time(m.created)) } }
                        div.body { (PreEscaped(sanitize(&m.body))) }
                    }
                }
                @if can_reply {
                    form.reply method="post" action={ "/tickets/" (panel_id) "/" (id) "/reply" } {
                        (ui::csrf_input(viewer))
                        @if !replies.is_empty() {
                            div.field {
                                label for="canned" { "Insert a canned reply" }
                                select #canned name="canned" data-canned-insert="reply-message" {
                                    option value="" { "Choose…" }
                                    @for c in &replies { option value=(c.id) data-body=(c.body) { (c.title) } }
                                }
                                // Without script: posted with the draft (the token stays out of the address), which
                                // comes back with the canned reply added; an empty draft does not block it.
                                noscript { button type="submit" name="insert" value="1" formnovalidate { "Insert" } }
                            }
                        }
                        div.field.invalid[error.is_some()] {
                            label for="reply-message" { "Reply" }
                            @if let Some(e) = error { p.error #reply-error role="alert" { (e) " Your reply is kept below." } }
                            textarea #reply-message name="message" rows="6" required { (draft) }
                            p.help { "Sent through the panel's API as " (viewer.staff.username) "; the conversation re-syncs after." }
                        }
                        button type="submit" { "Send reply" }
                    }
                }
            }
            aside.mentioned aria-label="Orders mentioned and AI" {
                h2 { "Orders mentioned" }
                @if mentioned.is_empty() { p.muted { "No order ids (6–10 digits) in this conversation." } }
                @else {
                    (ui::table(&[col("Order"), col("Service"), col("Status"), num("Remains")],
                        &mentioned.iter().map(|oid| match found.get(oid) {
                            Some(o) => html! { tr {
                                td { a href={ "/orders/" (panel_id) "/" (o.id) } { (o.id) } }
                                td.wrap { (ui::cut(o.service_name.as_deref().unwrap_or(""), 60)) }
                                td { (ui::status_label(&o.status)) }
                                td.num { (ui::opt_num(o.remains)) }
                            } },
                            None => html! { tr { td { (oid) } td.muted colspan="3" { "not in the cached orders of this panel" } } },
                        }).collect::<Vec<_>>(), html! {}))
                }
                @if can_reply { (ai_box(viewer, panel_id, id, &prompts)) }
                @for (title, model, output, at) in &answers {
                    details.howto {
                        summary { (title) " · " span.muted { (model) " · " (ui::time(*at)) } }
                        p.pre { (output) }
                    }
                }
            }
        }
        p { a href=(ui::link(viewer, "/tickets")) { "← All tickets" } }
    };
    let title = format!("Ticket {} · {}", t.id, t.subject.as_deref().unwrap_or("(no subject)"));
    Ok(ui::page(viewer, &title, content))
}

/// Answers the ticket through the panel's API, logs it, and has its messages fetched again.
pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    InScope((panel_id, id)): InScope<(i64, i64)>,
    data: FormData,
) -> AppResult<Response> {
    if data.get("insert").is_some() {
        // The no-script Insert: nothing is sent; the page again, the canned reply added to the draft.
        let typed = data.get("message").unwrap_or_default().to_string();
        let canned = data.get("canned").and_then(|c| c.trim().parse().ok());
        let page = render(&state, &viewer, (panel_id, id), Draft { typed, canned }, None).await?;
        return Ok(axum::response::IntoResponse::into_response(axum::response::Html(page.into_string())));
    }
    let message = data.text("message");
    let actor = shared::audit::Actor {
        staff_id: Some(viewer.id()),
        username: &viewer.staff.username,
        client: &client,
    };
    let result =
        crate::ticket_reply::send(&state, panel_id, id, &message, &viewer.staff.username, &actor).await;
    let sent = match result {
        Ok(sent) => sent,
        // The panel refused or failed, or the text is wrong: the page again, with the reply kept.
        Err(e @ (AppError::BadRequest(_) | AppError::Upstream(_))) => {
            let why = e.to_string();
            let draft = Draft { typed: message, canned: None };
            let page = render(&state, &viewer, (panel_id, id), draft, Some(&why)).await?;
            return Ok(axum::response::IntoResponse::into_response((
                e.status(),
                axum::response::Html(page.into_string()),
            )));
        }
        Err(e) => return Err(e),
    };
    let note = if sent.refreshed {
        "Reply sent through the panel."
    } else {
        "Reply sent through the panel. The conversation updates with the next sync of its messages."
    };
    Ok(flash_redirect(&format!("/tickets/{panel_id}/{id}"), note, client.secure))
}

/// Analysis, translation and draft translation, answered by the AI function's pages.
fn ai_box(viewer: &Viewer, panel_id: i64, id: i64, prompts: &[(i64, String)]) -> Markup {
    let base = format!("/ai/tickets/{panel_id}/{id}");
    html! {
        section.aibox aria-label="AI" {
            h2 { "AI" }
            form method="post" action={ (base) "/analyze" } {
                (ui::csrf_input(viewer))
                label for="prompt_id" { "Analyse with" }
                select #prompt_id name="prompt_id" {
                    option value="" { "AI Analysis prompt" }
                    @for (pid, title) in prompts { option value=(pid) { (title) } }
                }
                button.secondary type="submit" { "Analyse" }
            }
            form method="post" action={ (base) "/translate" } {
                (ui::csrf_input(viewer))
                button.secondary type="submit" { "Translate the conversation" }
            }
            form method="post" action={ (base) "/translate-draft" } {
                (ui::csrf_input(viewer))
                label for="draft" { "Translate a draft into the customer's language" }
                textarea #draft name="draft" rows="3" required maxlength="8000" {}
                button.secondary type="submit" { "Translate draft" }
            }
        }
    }
}
