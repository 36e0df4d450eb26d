//! Settings → Alerts (admins): the channels alerts go to — add, edit, delete, "Send test" with its
//! result — and the rules' thresholds, which the owner sets. An admin manages channels of their own
//! panels; a channel that covers every panel (also future ones) is the owner's. Secrets are write-only.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use panelops_reports::alerts::channels::{self, Channel};
use panelops_reports::alerts::rules::{self, Rule, RuleBook, RuleSettings};
use panelops_reports::alerts::{deliver, Options};
use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::db::Reads;
use shared::form_post::{Post, Saved};
use shared::ui;
use shared::ui::form::{FormData, FormErrors};
use shared::{AppError, AppResult, AppState};

use super::channel_form::{channel_form, read_form};
use super::tables::{rules_form, table};
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

fn saved(action: &'static str, details: String, flash: String) -> Saved {
    Saved { action, details, panel: None, to: PATH.into(), flash }
}

pub async fn update(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let (state, viewer) = (&post.state, &post.viewer);
    let c = owned(state, viewer, id).await?;
    let valid = read_form(state, viewer, &post.data, false).await;
    let again = async |e: FormErrors| {
        let (list, book) = load(state, viewer).await?;
        Ok(page(viewer, &list, &book, Some(&c), None, &post.data, &e))
    };
    let save = async |mut input: channels::ChannelInput| {
        input.kind = Some(c.kind);
        channels::update(&state.db.connect().await?, &state.config.secret_key, id, &input).await?;
        let flash = format!("Channel {} saved.", input.name);
        Ok(Ok(saved("alert_channel.updated", format!("{} (id {id})", input.name), flash)))
    };
    post.submit(valid, again, save).await
}

pub async fn delete(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let c = owned(&post.state, &post.viewer, id).await?;
    channels::delete(&post.state.db.connect().await?, id).await?;
    post.done(saved(
        "alert_channel.deleted",
        format!("{} (id {id})", c.name),
        format!("Channel {} deleted.", c.name),
    ))
    .await
}

/// "Send test": one message now; the result is the flash the page shows.
pub async fn test(Path(id): Path<i64>, post: Post) -> AppResult<Response> {
    let state = &post.state;
    let c = owned(state, &post.viewer, id).await?;
    let conn = state.db.connect().await?;
    let key = &state.config.secret_key;
    let public = state.config.public_url.as_deref();
    let opts = Options { attempts: 1, ..Options::default() };
    let msg = match deliver::send_test(&conn, key, state.config.allow_private_urls, public, &c, &opts).await?
    {
        Ok(()) => format!("Test sent to {}: delivered.", c.name),
        Err(e) => format!("Test to {} failed: {e}", c.name),
    };
    post.done(saved("alert_channel.tested", msg.clone(), msg)).await
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
