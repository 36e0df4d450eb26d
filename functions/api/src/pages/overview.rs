//! The landing page: the panels in view and what needs attention.

use axum::extract::State;
use maud::{html, Markup};

use shared::auth::{Role, Viewer};
use shared::cache::orders::UNCHARGED_SQL;
use shared::db::{Read, Reads, Stmt};
use shared::domain::panels::{self, PanelStatus};
use shared::ui::{self, link};
use shared::{AppResult, AppState};

/// Today's numbers for the panels in view, each a link to the rows behind it.
#[derive(Default)]
struct Today {
    orders: i64,
    /// Per currency: panels may bill in different ones, and a sum across them means nothing.
    charged: Vec<(String, i64)>,
    stuck: i64,
    pending_tickets: i64,
    open_reports: i64,
    flagged: i64,
}

/// Today's counts and charges for the panels in view, added to `reads` (read with the page's panels).
/// Today's counts (orders, stuck, pending tickets, open reports, flagged) and charges per currency.
struct TodayReads {
    counts: Read<[i64; 5]>,
    charged: Read<(String, i64)>,
}

fn today_reads(reads: &mut Reads, viewer: &Viewer) -> Option<TodayReads> {
    let now = shared::time::now();
    let midnight = now - now.rem_euclid(86_400);
    // "All panels" as an explicit list keeps the per-panel indexes usable.
    let ids: Vec<String> = viewer
        .panels
        .iter()
        .filter(|p| viewer.panel.is_none_or(|c| c == p.id))
        .map(|p| p.id.to_string())
        .collect();
    if ids.is_empty() {
        return None;
    }
    let scope = format!("panel_id IN ({})", ids.join(","));
    // Today's orders and charges from the hourly roll-up: midnight starts an hour, and "today" has no
    // end (an order stamped ahead of the clock counts, as it did), so whole hours are exact.
    let counts = reads.add(
        Stmt::new(
            format!(
                "SELECT
                   (SELECT COALESCE(SUM(orders), 0) FROM rollup_order_hours WHERE {scope} AND hour >= ?1 / 3600),
                   (SELECT COUNT(*) FROM orders_cache INDEXED BY orders_cache_stuck WHERE {scope}
                      AND (status IN ('pending', 'in_progress', 'processing') OR status LIKE 'awaiting%') AND remains > 0
                      AND created < ?2),
                   (SELECT COUNT(*) FROM tickets_cache WHERE {scope} AND status = 'pending'),
                   (SELECT COUNT(*) FROM service_reports WHERE {scope} AND resolved_at IS NULL),
                   (SELECT COUNT(*) FROM ai_reviews WHERE {scope} AND {flagged} AND reply_at >= ?3)",
                flagged = shared::domain::ai_verdicts::flagged_sql("")
            ),
            (midnight, now - 12 * 3600, now - 86_400),
        ),
        |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
    );
    let charged = reads.add(
        Stmt::new(
            format!(
                "SELECT currency, SUM(charge) FROM rollup_order_hours WHERE {scope} AND hour >= ?1 / 3600
                 AND status NOT IN {UNCHARGED_SQL} GROUP BY 1 HAVING SUM(charged) > 0 ORDER BY 2 DESC"
            ),
            [midnight],
        ),
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    Some(TodayReads { counts, charged })
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let mut reads = Reads::new();
    let panels = panels::list_read(&mut reads, &viewer.scope());
    let today = today_reads(&mut reads, &viewer);
    let mut done = reads.run(&state.db.connect().await?).await?;
    let all = done.all(panels).await?;
    let t = match today {
        Some(TodayReads { counts, charged }) => {
            let [orders, stuck, pending_tickets, open_reports, flagged] =
                done.first(counts).await?.unwrap_or_default();
            Today { orders, charged: done.all(charged).await?, stuck, pending_tickets, open_reports, flagged }
        }
        None => Today::default(),
    };
    let shown: Vec<_> = all.iter().filter(|p| viewer.panel.is_none_or(|c| c == p.id)).collect();
    // An active panel whose every sync fails counts as in error, with why (see the access guard).
    let status = |p: &panels::Panel| match viewer.panel_error(p.id) {
        Some(_) if p.status == PanelStatus::Active => PanelStatus::Error,
        _ => p.status,
    };
    let count = |s: PanelStatus| shown.iter().filter(|p| status(p) == s).count();
    let content = html! {
        div.grid2 {
            div.card {
                h2 { "Panels" }
                p.stat { (shown.len()) }
                p { (count(PanelStatus::Active)) " active · " (count(PanelStatus::Paused)) " paused · "
                    (count(PanelStatus::Error)) " in error" }
                p { a href=(link(&viewer, "/panels")) { "Open Panels" } }
            }
            div.card {
                h2 { "Orders today (UTC)" }
                p.stat { a href=(link(&viewer, &format!("/orders?from={}", chrono::Utc::now().format("%Y-%m-%d")))) { (t.orders) } }
                p {
                    @if t.charged.is_empty() { "nothing charged yet" }
                    @for (i, (cur, sum)) in t.charged.iter().enumerate() {
                        @if i > 0 { " · " } (ui::money(Some(*sum), Some(cur)))
                    }
                    " charged (canceled and failed left out)"
                }
            }
            div.card {
                h2 { "Stuck orders" }
                p.stat { a href=(link(&viewer, "/reports/service-health")) { (t.stuck) } }
                p { "Open for more than 12 hours with something left to deliver; Service tracking shows which services." }
            }
            div.card {
                h2 { "Pending tickets" }
                p.stat { a href=(link(&viewer, "/tickets?status=pending")) { (t.pending_tickets) } }
                p { a href=(link(&viewer, "/reports/ticket-tracking/staff")) { "Ticket tracking" } }
            }
            div.card {
                h2 { "Open service reports" }
                p.stat { a href=(link(&viewer, "/service-reports")) { (t.open_reports) } }
            }
            div.card {
                h2 { "Replies flagged by the AI (24 h)" }
                // The page behind the number, over the same window: replies sent in the last 24 h.
                p.stat { a href=(link(&viewer, "/ai/flagged?window=24h")) { (t.flagged) } }
            }
        }
        @if shown.is_empty() {
            @if viewer.is(Role::Owner) {
                (ui::empty_state("No panels yet. Add your first Perfect Panel with its Admin API key to start.",
                    Some(("/panels/new", "Add a panel"))))
            } @else {
                (ui::empty_state("No panels are shared with you yet. Ask an owner to allow you a panel.", None))
            }
        } @else {
            @let errors: Vec<_> = shown.iter().filter(|p| status(p) == PanelStatus::Error).collect();
            @if !errors.is_empty() {
                div.card {
                    h2 { "Needs attention" }
                    ul { @for p in errors {
                        li { strong { (p.name) } " — "
                            (viewer.panel_error(p.id).or(p.last_error.as_deref()).unwrap_or("in error")) }
                    } }
                }
            }
        }
    };
    Ok(ui::page(&viewer, "Overview", content))
}
