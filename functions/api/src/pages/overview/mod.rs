//! The landing page as a worklist: what needs someone now (critical services, failing providers, panels
//! with sync trouble, tickets waiting longest, flagged replies, high-risk payments), each a count that
//! links to the rows, then today's orders, revenue and margin per currency against the same hours of the
//! last 7 days, and orders per hour.

mod reads;

use axum::extract::State;
use maud::{html, Markup};

use panelops_reports::margins::Sums;
use shared::auth::{Role, Viewer};
use shared::domain::panels::{self, PanelStatus};
use shared::ui::{self, link};
use shared::{AppResult, AppState};

use reads::{Overview, COMPARE_DAYS};

/// One worklist line: a count linking to its rows, what it is, and a few of the rows.
fn work(count: usize, label: &str, href: &str, rows: Markup) -> Markup {
    html! {
        li class=[(count > 0).then_some("due")] {
            a.stat href=(href) { (count) } " " (label)
            @if count > 0 { (rows) }
        }
    }
}

/// Today against the average of the same hours on each of the last `COMPARE_DAYS` days, per currency.
fn compare(viewer: &Viewer, o: &Overview) -> Markup {
    let mut currencies: Vec<&str> = o.same_hours.iter().map(|(_, s)| s.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let change = |today: i64, avg: f64| -> String {
        if avg == 0.0 {
            String::new()
        } else {
            format!(" ({:+.0}%)", (today as f64 - avg) * 100.0 / avg.abs())
        }
    };
    let rows: Vec<Markup> = currencies
        .iter()
        .map(|c| {
            let today = o.same_hours.iter().find(|(d, s)| *d == 0 && s.currency == *c).map(|x| x.1.clone()).unwrap_or_default();
            let mut before = Sums::default();
            for (_, s) in o.same_hours.iter().filter(|(d, s)| *d > 0 && s.currency == *c) {
                before.add(s);
            }
            let n = COMPARE_DAYS as f64;
            let (ao, ar, am) = (before.orders as f64 / n, before.revenue as f64 / n, before.margin as f64 / n);
            let c = Some(*c).filter(|c| !c.is_empty());
            html! { tr class=[(today.margin < 0).then_some("loss")] {
                td { (c.unwrap_or("—")) }
                td.num { (today.orders) span.muted { (change(today.orders, ao)) } }
                td.num { (ui::money(Some(today.revenue), c)) span.muted { (change(today.revenue, ar)) } }
                td.num { (ui::money(Some(today.margin), c)) span.muted { (change(today.margin, am)) }
                    @if today.cost_unknown > 0 { br; span.muted { (today.cost_unknown) " with cost unknown" } } }
                td.num { (format!("{:.1}", ao)) } td.num { (ui::money(Some(ar.round() as i64), c)) } td.num { (ui::money(Some(am.round() as i64), c)) }
            } }
        })
        .collect();
    html! {
        (ui::table(&[ui::col("Currency"), ui::num("Orders today"), ui::num("Revenue today"), ui::num("Margin today"),
            ui::num("Orders, avg"), ui::num("Revenue, avg"), ui::num("Margin, avg")], &rows,
            ui::empty_state("No orders yet today.", None)))
        p.muted { "Today (UTC) so far against the average of the same hours on each of the last " (COMPARE_DAYS) " days; canceled and failed orders \
            left out, margin over orders with a provider charge. "
            a href=(link(viewer, "/reports/margins")) { "Margins" } }
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let now = shared::time::now();
    let o = reads::read(&state.db.connect().await?, &viewer, now).await?;
    let shown: Vec<&panels::Panel> =
        o.panels.iter().filter(|p| viewer.panel.is_none_or(|c| c == p.id)).collect();
    // An active panel whose every sync fails counts as in error, with why (see the access guard).
    let status = |p: &panels::Panel| match viewer.panel_error(p.id) {
        Some(_) if p.status == PanelStatus::Active => PanelStatus::Error,
        _ => p.status,
    };
    let count = |s: PanelStatus| shown.iter().filter(|p| status(p) == s).count();
    let max_hour = o.per_hour.iter().copied().max().unwrap_or(0).max(1) as f64;
    let spark: Vec<Option<f64>> = o.per_hour.iter().map(|n| Some(*n as f64)).collect();
    // The worklist's labels and links.
    let critical = "critical services (Service tracking, 24 h, as the alerts checked it this minute)";
    let provider_orders = |panel_id: i64, provider: &str| {
        let q = serde_urlencoded::to_string([
            ("panel", panel_id.to_string()),
            ("provider", provider.to_string()),
        ]);
        link(&viewer, &format!("/orders?{}", q.unwrap_or_default()))
    };
    let waiting = format!("tickets waiting more than {} min for a reply", o.waiting_minutes);
    let judged = if o.payments_judged >= reads::RISK_PAYMENTS {
        format!("newest {}", reads::RISK_PAYMENTS)
    } else {
        "payments".to_string()
    };
    let high_risk = format!("high-risk payments among the last 24 h's {judged}");
    let content = html! {
        @if shown.is_empty() {
            @if viewer.is(Role::Owner) {
                (ui::empty_state("No panels yet. Add your first Perfect Panel with its Admin API key to start.",
                    Some(("/panels/new", "Add a panel"))))
            } @else {
                (ui::empty_state("No panels are shared with you yet. Ask an owner to allow you a panel.", None))
            }
        } @else {
            div.card {
                h2 { "Needs attention" }
                ul.worklist {
                    (work(o.critical.len(), critical, &link(&viewer, "/reports/service-health"), html! {
                        ul { @for (p, _, name) in o.critical.iter().take(5) { li { (ui::cut(name, 60)) " · " (viewer.panel_name(*p)) } } } }))
                    (work(o.failing.len(), "failing providers (last hour)", &link(&viewer, "/reports/providers?window_hours=1"), html! {
                        ul { @for f in &o.failing {
                            li { a href=(provider_orders(f.panel_id, &f.provider)) { (f.provider) }
                                " · " (f.failed) " of " (f.orders) " failed · " (viewer.panel_name(f.panel_id)) }
                        } } }))
                    (work(o.sync_trouble.len(), "panels with sync trouble", &link(&viewer, "/settings/sync"), html! {
                        ul { @for (p, what) in &o.sync_trouble { li { strong { (viewer.panel_name(*p)) } " — " (what.join("; ")) } } } }))
                    (work(o.waiting_over as usize, &waiting, &link(&viewer, "/tickets?status=pending"), html! {
                        ul { @for t in &o.waiting {
                            li { a href=(link(&viewer, &format!("/tickets/{}/{}", t.panel_id, t.id))) { "#" (t.id) } " " (ui::cut(&t.subject, 50))
                                " · waiting " (panelops_reports::alerts::evaluate::duration_words(now - t.since)) }
                        } } }))
                    (work(o.flagged as usize, "replies flagged by the AI (24 h)", &link(&viewer, "/ai/flagged?window=24h"), html! {}))
                    (work(o.high_risk, &high_risk, &link(&viewer, "/payments"), html! {}))
                }
            }
            div.grid2 {
                div.card {
                    h2 { "Orders today (UTC)" }
                    p.stat { a href=(link(&viewer, &format!("/orders?from={}", chrono::Utc::now().format("%Y-%m-%d")))) { (o.orders_today) } }
                    p { (panelops_reports::common::sparkline(&spark, max_hour, "Orders per hour today")) " orders per hour" }
                }
                div.card {
                    h2 { "Panels" }
                    p.stat { (shown.len()) }
                    p { (count(PanelStatus::Active)) " active · " (count(PanelStatus::Paused)) " paused · "
                        (count(PanelStatus::Error)) " in error" }
                    p { a href=(link(&viewer, "/panels")) { "Open Panels" } }
                }
                div.card {
                    h2 { "Stuck orders" }
                    p.stat { a href=(link(&viewer, "/reports/service-health/orders?kind=stuck")) { (o.stuck) } }
                    p { "Open for more than " (o.stuck_after_hours) " hours with something left to deliver; Service tracking shows which services." }
                }
                div.card {
                    h2 { "Pending tickets" }
                    p.stat { a href=(link(&viewer, "/tickets?status=pending")) { (o.pending_tickets) } }
                    p { a href=(link(&viewer, "/reports/ticket-tracking/staff")) { "Ticket tracking" } }
                }
                div.card {
                    h2 { "Open service reports" }
                    p.stat { a href=(link(&viewer, "/service-reports")) { (o.open_reports) } }
                }
            }
            div.card {
                h2 { "Today against the last " (COMPARE_DAYS) " days" }
                (compare(&viewer, &o))
            }
        }
    };
    Ok(ui::page(&viewer, "Overview", content))
}
