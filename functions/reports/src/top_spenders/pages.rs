//! User tracking pages: the report (HTML and `.json`), a user's rows in the window, and profiles.

use crate::common::Ask;
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::Role;
use shared::pp::money;
use shared::ui::{self, col, num};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::profiles::UserProfile;
use super::{restriction, top_spenders, user_activity, TopSpendersParams};
use crate::common::{
    self, data_links, envelope, explain, href, ids_text, window_tabs, Params, ProfileFilters,
};

const PATH: &str = "/reports/top-spenders";
const TABS: &[i64] = &[12, 24, 48, 72, 96];

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    crate::profiles::editor::routes::<UserProfile>(Routes::new(state))
        .get(PATH, v, page)
        .get("/reports/top-spenders.json", v, json)
        .get("/reports/top-spenders/user", v, user_page)
}

/// `panel` is the chosen panel, already checked against the caller's scope (the guard does it for
/// a staff member and for an API key alike).
pub async fn params_from(
    conn: &shared::db::Conn,
    panel: Option<i64>,
    q: &Params,
) -> AppResult<(UserProfile, TopSpendersParams, Vec<UserProfile>)> {
    let (profile, all) =
        crate::profiles::chosen::<UserProfile>(conn, q.int("profile", 1..=i64::MAX)?).await?;
    let mut p = TopSpendersParams::from_profile(&profile, panel, common::window_hours(q, 24)?);
    if let Some(v) = q.int("min_payments", 0..=1_000_000)? {
        p.min_payments = v;
    }
    if let Some(v) = q.money("min_spend")? {
        p.min_spend = v;
    }
    if let Some(v) = q.int("limit", 1..=1000)? {
        p.limit = v as usize;
    }
    Ok((profile, p, all))
}

async fn json(ask: Ask) -> AppResult<Response> {
    let Ask { state, viewer, q, .. } = ask;
    let conn = state.db.connect().await?;
    let (_, p, _) = params_from(&conn, viewer.panel, &q).await?;
    let (rows, total) = top_spenders(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    Ok(envelope(&rows, Some(("total", total.into()))))
}

fn keep(profile: &UserProfile, q: &Params) -> Vec<(&'static str, String)> {
    let mut k = vec![("profile", profile.id.to_string())];
    for name in ["min_payments", "min_spend", "limit"] {
        if let Some(v) = q.get(name) {
            k.push((name, v.to_string()));
        }
    }
    k
}

fn how_to_read(p: &TopSpendersParams) -> Markup {
    explain(html! {
        h3 { "Goal" }
        p { "Spot top spenders and new high-value sign-ups in any chosen window. Follow up with whales, run welcome offers, or catch new sign-ups \
            depositing big amounts." }
        h3 { "Columns" }
        ul {
            li { "User — panel + id + username/email. 🆕 when the user signed up inside the last " (p.window_hours) " hours." }
            li { "Joined — sign-up date." }
            li { "Payments — count and total of payments with status completed created inside the window." }
            li { "Spend (window) — the sum of the charges of the user's orders created inside the window, excluding canceled and fail orders. The \
                list is sorted by this column, highest first." }
            li { "Lifetime — the user's spent as the panel reports it (all time)." }
            li { "Top services — the user's 3 most-ordered service ids in the window, by order count." }
        }
        h3 { "Filters" }
        ul {
            li { "Min payments — users with fewer than " strong { (p.min_payments) } " completed payments in the window are dropped." }
            li { "Min spend — users whose window spend is below " strong { (money::usd(p.min_spend)) } " are dropped." }
            li { "Profile user ids — this profile covers " (restriction(&p.user_ids)) "." }
            li { "Only users with a payment or an order charge in the window are listed; at most " (p.limit) " rows are shown." }
        }
        h3 { "Window" }
        p { "Pick 12/24/48/72/96h or a custom number of hours. The report re-aggregates from scratch each time. Every number opens the orders and \
            payments behind it." }
    })
}

async fn page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, raw } = ask;
    let conn = state.db.connect().await?;
    let (profile, p, all_profiles) = params_from(&conn, viewer.panel, &q).await?;
    let (rows, total) = top_spenders(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let keep = keep(&profile, &q);
    let detail = |panel: i64, user: &str| {
        href(
            &viewer,
            "/reports/top-spenders/user",
            &[
                ("user_panel", panel.to_string()),
                ("username", user.to_string()),
                ("window_hours", p.window_hours.to_string()),
            ],
        )
    };
    let table_rows: Vec<Markup> = rows
        .iter()
        .map(|r| html! { tr {
            td.wrap {
                span.muted { (viewer.panel_name(r.panel_id)) } " · "
                @match r.user_id {
                    Some(id) => a href=(format!("/users/{}/{id}", r.panel_id)) { span.mono { (id) } " " (r.username) },
                    None => (r.username),
                }
                @if let Some(e) = &r.email { " " span.muted { (e) } }
                @if r.is_new { " " span.label.ok title="Signed up inside the window" { "🆕 new" } }
            }
            td { @match r.joined { Some(j) => (ui::time(j)), None => span.muted { "—" } } }
            td.num { a href=(detail(r.panel_id, &r.username)) { (r.payments_count) " · " (money::usd(r.payments_total)) } }
            td.num { a href=(detail(r.panel_id, &r.username)) { strong { (money::usd(r.spend_window)) } } }
            td.num { @match r.lifetime_spent { Some(l) => { (money::usd(l)) }, None => span.muted { "—" } } }
            td { (ids_text(&r.top_services)) }
        } })
        .collect();
    let empty = ui::empty_state(
        "No user paid or ordered in this window above the profile's minimums. Try a longer window or lower Min payments / Min spend; if the cache is empty, check Settings → Sync.",
        None,
    );
    let filters = ProfileFilters {
        path: PATH,
        window_hours: p.window_hours,
        profiles: all_profiles.iter().map(|pr| (pr.id, pr.name.as_str(), pr.is_default)).collect(),
        chosen: profile.id,
        profiles_path: "/reports/top-spenders/profiles",
    };
    let summary = html! { "Min payments " (p.min_payments) " · min spend " (money::usd(p.min_spend)) " · " (restriction(&p.user_ids)) };
    let content = html! {
        (how_to_read(&p))
        (filters.form(&viewer, summary))
        (window_tabs(&viewer, PATH, TABS, p.window_hours, &keep))
        p.summary { (total) " users qualify" @if total > rows.len() { " · showing the top " (rows.len()) } " · "
            (data_links(PATH, raw.as_deref())) }
        (ui::table(&[col("User"), col("Joined"), num("Payments"), num("Spend (window)"), num("Lifetime"), col("Top services")], &table_rows, empty))
    };
    Ok(ui::page(&viewer, "User tracking", content))
}

async fn user_page(ask: Ask) -> AppResult<Markup> {
    let Ask { state, viewer, q, .. } = ask;
    let hours = common::window_hours(&q, 24)?;
    let now = shared::time::now();
    let from = now - hours * 3600;
    let target = match (q.int("user_panel", 1..=i64::MAX)?, q.get("username")) {
        (Some(pa), Some(u)) => {
            viewer.scope().check(pa)?;
            Some((pa, u.to_string()))
        }
        (None, None) => None,
        _ => return Err(AppError::bad_request("Give both user_panel and username.")),
    };
    let conn = state.db.connect().await?;
    let content = match &target {
        None => {
            html! { (ui::empty_state("Open a user from User tracking to see their orders and payments in the window.", Some((PATH, "User tracking")))) }
        }
        Some((pa, u)) => {
            let act = user_activity(&conn, *pa, u, from, now).await?;
            let spend: i64 =
                act.orders.iter().filter(|o| o.2 != "canceled" && o.2 != "fail").map(|o| o.3).sum();
            let paid: Vec<_> = act.payments.iter().filter(|p| p.2 == "completed").collect();
            html! {
                p { a href=(href(&viewer, PATH, &[("window_hours", hours.to_string())])) { "← User tracking" } }
                p { (viewer.panel_name(*pa)) " · " strong { (u) } " · last " (hours) "h: spend " (money::usd(spend))
                    " (canceled and fail orders excluded) · " (paid.len()) " completed payments, " (money::usd(paid.iter().map(|p| p.1).sum())) }
                h2 { "Orders" }
                (ui::table(&[col("Order"), col("Service"), col("Status"), num("Charge"), col("Created")],
                    &act.orders.iter().map(|o| html! { tr.muted[o.2 == "canceled" || o.2 == "fail"] {
                        td.mono { (o.0) } td { (o.1.map(|s| s.to_string()).unwrap_or_default()) } td { (ui::status_label(&o.2)) }
                        td.num { (money::usd(o.3)) } td { (ui::time(o.4)) } } }).collect::<Vec<_>>(),
                    ui::empty_state("No orders in this window.", None)))
                h2 { "Payments" }
                (ui::table(&[col("Payment"), num("Amount"), col("Status"), col("Method"), col("Created")],
                    &act.payments.iter().map(|p| html! { tr {
                        td.mono { (p.0) } td.num { (money::usd(p.1)) } td { (ui::status_label(&p.2)) }
                        td { (p.3.as_deref().unwrap_or("")) } td { (ui::time(p.4)) } } }).collect::<Vec<_>>(),
                    ui::empty_state("No payments in this window.", None)))
            }
        }
    };
    Ok(ui::page(&viewer, "User activity in the window", content))
}
