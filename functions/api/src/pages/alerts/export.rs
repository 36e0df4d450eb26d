//! Alerts → History as CSV: every incident the page's filters select in the viewer's panels, newest
//! first, streamed (the history only grows), with what each channel was sent in one cell.

use axum::extract::State;
use axum::response::Response;

use panelops_reports::alerts::rules::Rule;
use shared::auth::Viewer;
use shared::db::{opt_i64, opt_text, Stmt};
use shared::export::{self, AddPage, ReadPages, RowCells};
use shared::ui::listing::ListQuery;
use shared::{AppResult, AppState};

use super::history::{conditions, filters};

struct Row {
    id: i64,
    rule: String,
    panel_id: i64,
    title: String,
    detail: String,
    opened_at: i64,
    resolved_at: Option<i64>,
    sent: Option<String>,
}

/// Each delivery as "channel · kind · status (error)", in the order they were made.
const SENT_SQL: &str =
    "(SELECT group_concat(s, '; ') FROM (SELECT c.name || ' · ' || d.kind || ' · ' || d.status
    || CASE WHEN d.error IS NULL THEN '' ELSE ' (' || d.error || ')' END AS s
    FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id
    WHERE d.incident_id = alert_incidents.id ORDER BY d.id))";

pub async fn export(State(state): State<AppState>, viewer: Viewer, q: ListQuery) -> AppResult<Response> {
    let f = filters(&q)?;
    let v = viewer.clone();
    // All pages: the page's own position (`before`) is replaced by the stream's.
    let add: AddPage<Row, i64> = Box::new(move |reads, after, size| {
        let (cond, args) = conditions(&v, &f, after);
        let sql = format!(
            "SELECT id, rule, panel_id, title, detail, opened_at, resolved_at, {SENT_SQL} FROM alert_incidents
             WHERE {cond} ORDER BY id DESC LIMIT {size}"
        );
        reads.add(Stmt::new(sql, libsql::params_from_iter(args)), |r| {
            Ok(Row {
                id: r.get(0)?,
                rule: r.get(1)?,
                panel_id: r.get(2)?,
                title: r.get(3)?,
                detail: r.get(4)?,
                opened_at: r.get(5)?,
                resolved_at: opt_i64(r, 6)?,
                sent: opt_text(r, 7)?,
            })
        })
    });
    let cells: RowCells<Row, i64> = Box::new(move |i| {
        let rule = Rule::parse(&i.rule);
        // An event (a rule that never resolves) has no state, as on the page.
        let state = match (rule.is_some_and(|r| !r.resolves()), i.resolved_at) {
            (true, _) => "event",
            (false, Some(_)) => "resolved",
            (false, None) => "open",
        };
        let cells = vec![
            export::text(viewer.panel_name(i.panel_id)),
            export::time(i.opened_at),
            export::text(rule.map_or(i.rule.clone(), |r| r.label().to_string())),
            export::text(&i.title),
            export::text(&i.detail),
            export::text(state),
            export::time((state == "resolved").then_some(i.resolved_at).flatten()),
            export::opt_text(i.sent.as_deref()),
        ];
        (cells, i.id)
    });
    let header = &["Panel", "Opened", "Rule", "What", "Detail", "State", "Resolved", "Sent to"];
    let pages = ReadPages::new(&state.db, add, cells);
    Ok(export::csv_response("alerts", header, pages, export::lambda_cap()))
}
