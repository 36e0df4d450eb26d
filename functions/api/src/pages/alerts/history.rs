//! Alerts → History: every incident, newest first, with what each channel was sent and how it went,
//! and the latest digests. Filterable by rule, state, channel and failed deliveries; staff see
//! incidents of their panels only, and digests of the channels that cover one of their panels. The
//! incidents' CSV is in `export`.

use std::collections::HashMap;

use axum::extract::State;
use maud::{html, Markup};

use panelops_reports::alerts::channels;
use panelops_reports::alerts::incidents;
use panelops_reports::alerts::message::Incident;
use panelops_reports::alerts::rules::Rule;
use shared::auth::Viewer;
use shared::db::{Reads, Stmt};
use shared::ui::listing::ListQuery;
use shared::ui::{self, col};
use shared::{AppResult, AppState};

const PATH: &str = "/alerts";
const PAGE: usize = 50;

struct Sent {
    incident_id: i64,
    channel: String,
    kind: String,
    status: String,
    attempts: i64,
    error: Option<String>,
    at: i64,
}

/// A digest as the history lists it.
struct DigestSent {
    channel_id: i64,
    channel: String,
    period: String,
    period_start: i64,
    status: String,
    attempts: i64,
    error: Option<String>,
    at: i64,
}

/// The digests listed under the incidents (the newest; a digest is a channel's, not an incident's).
const DIGESTS_SHOWN: usize = 20;

fn digests_table(list: &[DigestSent]) -> Markup {
    let rows: Vec<Markup> = list
        .iter()
        .map(|d| {
            html! { tr {
                td { (ui::time(d.at)) }
                td { (d.channel) }
                td { (d.period) " from " (ui::time(d.period_start)) }
                td { (ui::status_label(&d.status))
                     @if d.attempts > 1 { " " span.muted { "(" (d.attempts) " attempts)" } }
                     @if let Some(e) = &d.error { br; span.error { (ui::cut(e, 120)) } } }
            } }
        })
        .collect();
    html! {
        h2 { "Digests" }
        (ui::table(&[col("When"), col("Channel"), col("Period"), col("Result")], &rows,
            ui::empty_state("No digests yet: choose a daily or weekly digest on a channel.", Some(("/settings/alerts", "Alert channels")))))
    }
}

/// The page's filters (the page position `before` apart).
#[derive(Clone)]
pub struct Filters {
    pub rule: Option<String>,
    pub status: Option<String>,
    pub channel: Option<i64>,
    pub failed: bool,
}

pub fn filters(q: &ListQuery) -> AppResult<Filters> {
    let rule_names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
    Ok(Filters {
        rule: q.choice("rule", "Rule", &rule_names)?,
        status: q.choice("state", "State", &["open", "resolved"])?,
        channel: q.int("channel", "Channel")?,
        failed: q.choice("result", "Result", &["failed"])?.is_some(),
    })
}

/// The incidents `f` selects in the viewer's panels, below id `before` (newest first): the condition
/// on `alert_incidents` and its arguments (`?1`, `?2`, …).
pub fn conditions(viewer: &Viewer, f: &Filters, before: Option<i64>) -> (String, Vec<libsql::Value>) {
    let mut cond = vec![viewer.panel_sql("panel_id")];
    let mut args: Vec<libsql::Value> = Vec::new();
    if let Some(r) = &f.rule {
        args.push(r.clone().into());
        cond.push(format!("rule = ?{}", args.len()));
    }
    match f.status.as_deref() {
        Some("open") => cond.push("resolved_at IS NULL".into()),
        Some(_) => cond.push("resolved_at IS NOT NULL AND resolved_at > opened_at".into()),
        None => {}
    }
    if let Some(c) = f.channel {
        args.push(c.into());
        cond.push(format!(
            "id IN (SELECT incident_id FROM alert_deliveries WHERE channel_id = ?{})",
            args.len()
        ));
    }
    if f.failed {
        cond.push("id IN (SELECT incident_id FROM alert_deliveries WHERE status = 'failed')".into());
    }
    if let Some(b) = before {
        args.push(b.into());
        cond.push(format!("id < ?{}", args.len()));
    }
    (cond.join(" AND "), args)
}

pub async fn page(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Markup> {
    let f = filters(&q)?;
    let before = q.int("before", "Page")?;
    let (rule, status, channel, failed) = (f.rule.clone(), f.status.clone(), f.channel, f.failed);
    let (cond, args) = conditions(&viewer, &f, before);
    let matching = format!("SELECT id FROM alert_incidents WHERE {cond} ORDER BY id DESC LIMIT {}", PAGE + 1);

    let mut reads = Reads::new();
    let list = reads.add(
        Stmt::new(
            format!(
                "SELECT id, rule, panel_id, subject, title, detail, link, opened_at, resolved_at FROM alert_incidents
                 WHERE id IN ({matching}) ORDER BY id DESC"
            ),
            libsql::params_from_iter(args.clone()),
        ),
        incidents::from_row,
    );
    let sent = reads.add(
        Stmt::new(
            format!(
                "SELECT d.incident_id, c.name, d.kind, d.status, d.attempts, d.error, COALESCE(d.sent_at, d.created_at)
                 FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id
                 WHERE d.incident_id IN ({matching}) ORDER BY d.id"
            ),
            libsql::params_from_iter(args),
        ),
        |r| {
            Ok(Sent {
                incident_id: r.get(0)?,
                channel: r.get(1)?,
                kind: r.get(2)?,
                status: r.get(3)?,
                attempts: r.get(4)?,
                error: shared::db::opt_text(r, 5)?,
                at: r.get(6)?,
            })
        },
    );
    let digests = reads.add(
        Stmt::new(
            "SELECT d.channel_id, c.name, d.period, d.period_start, d.status, d.attempts, d.error,
               COALESCE(d.sent_at, d.created_at)
             FROM alert_digests d JOIN alert_channels c ON c.id = d.channel_id ORDER BY d.id DESC LIMIT 200",
            (),
        ),
        |r| {
            Ok(DigestSent {
                channel_id: r.get(0)?,
                channel: r.get(1)?,
                period: r.get(2)?,
                period_start: r.get(3)?,
                status: r.get(4)?,
                attempts: r.get(5)?,
                error: shared::db::opt_text(r, 6)?,
                at: r.get(7)?,
            })
        },
    );
    let (chans, links) = channels::list_reads(&mut reads);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let mut list: Vec<Incident> = done.all(list).await?.into_iter().flatten().collect();
    let more = list.len() > PAGE;
    list.truncate(PAGE);
    let mut by_incident: HashMap<i64, Vec<Sent>> = HashMap::new();
    for s in done.all(sent).await? {
        by_incident.entry(s.incident_id).or_default().push(s);
    }
    let scope = viewer.scope();
    let chans: Vec<(i64, String)> = channels::with_panels(done.all(chans).await?, done.all(links).await?)
        .into_iter()
        .filter(|c| c.visible_to(&scope))
        .map(|c| (c.id, c.name))
        .collect();
    let digests: Vec<DigestSent> = done
        .all(digests)
        .await?
        .into_iter()
        .filter(|d| chans.iter().any(|(id, _)| *id == d.channel_id))
        .filter(|d| channel.is_none_or(|c| c == d.channel_id) && (!failed || d.status == "failed"))
        .take(DIGESTS_SHOWN)
        .collect();

    let rows: Vec<Markup> = list
        .iter()
        .map(|i| {
            let event = !i.rule.resolves();
            html! { tr {
                td { (ui::time(i.opened_at)) }
                td { (i.rule.label()) }
                td { (viewer.panel_name(i.panel_id)) }
                td { a href=(ui::link(&viewer, &i.link)) { (i.title) } br; span.muted { (ui::cut(&i.detail, 140)) } }
                td { @if event { span.muted { "event" } }
                     @else if let Some(r) = i.resolved_at { (ui::status_label("resolved")) " " (ui::time(r)) }
                     @else { (ui::status_label("open")) } }
                td { @for s in by_incident.get(&i.id).map(Vec::as_slice).unwrap_or(&[]) {
                    div {
                        (s.channel) " · " (s.kind) " · "
                        @if s.status == "sent" { (ui::status_label("sent")) } @else { (ui::status_label(&s.status)) }
                        " " (ui::time(s.at))
                        @if s.attempts > 1 { " " span.muted { "(" (s.attempts) " attempts)" } }
                        @if let Some(e) = &s.error { br; span.error { (ui::cut(e, 120)) } }
                    }
                } }
            } }
        })
        .collect();
    let chips = q.chips(
        PATH,
        &[("rule", "Rule"), ("state", "State"), ("channel", "Channel"), ("result", "Result")],
        &["before"],
    );
    let next =
        more.then(|| list.last().map(|i| q.href(PATH, &[], &[("before", i.id.to_string())]))).flatten();
    let first = before.is_some().then(|| q.href(PATH, &["before"], &[]));
    let content = html! {
        form.filters method="get" action=(PATH) {
            (q.hidden(&["panel"]))
            div { label for="f-rule" { "Rule" }
                select #f-rule name="rule" {
                    option value="" { "Any rule" }
                    @for r in Rule::ALL { option value=(r.as_str()) selected[rule.as_deref() == Some(r.as_str())] { (r.label()) } }
                } }
            div { label for="f-state" { "State" }
                select #f-state name="state" {
                    option value="" { "Any" }
                    option value="open" selected[status.as_deref() == Some("open")] { "Open" }
                    option value="resolved" selected[status.as_deref() == Some("resolved")] { "Resolved" }
                } }
            div { label for="f-channel" { "Channel" }
                select #f-channel name="channel" {
                    option value="" { "Any channel" }
                    @for (id, name) in &chans { option value=(id) selected[channel == Some(*id)] { (name) } }
                } }
            div { label { input type="checkbox" name="result" value="failed" checked[failed]; " Failed deliveries only" } }
            button type="submit" { "Filter" }
        }
        (ui::chips(&chips, PATH))
        p.exports { (shared::export::link(&q.href("/alerts.csv", &["before"], &[]))) }
        (ui::table(&[col("Opened"), col("Rule"), col("Panel"), col("What"), col("State"), col("Sent to")], &rows,
            if chips.is_empty() { ui::empty_state("No alerts yet: nothing has needed anyone.", Some(("/settings/alerts", "Alert channels"))) }
            else { ui::empty_state("No alerts match these filters.", Some((PATH, "Clear filters"))) }))
        (ui::pager(first.as_deref(), next.as_deref()))
        @if before.is_none() && rule.is_none() && status.is_none() { (digests_table(&digests)) }
    };
    Ok(ui::page(&viewer, "Alert history", content))
}
