//! User tracking pages: the report (HTML and `.json`), a user's rows in the window, and profiles.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::pp::money;
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input, link, num};
use shared::{Access, AppError, AppResult, AppState, Routes};

use super::profiles::{self, ProfileInput, UserProfile};
use super::{restriction, top_spenders, user_activity, TopSpendersParams};
use crate::common::{self, envelope, explain, href, ids_text, parse_ids, window_tabs, Params};

const PATH: &str = "/reports/top-spenders";
const TABS: &[i64] = &[12, 24, 48, 72, 96];

pub fn routes(state: &AppState) -> Routes {
    let v = Access::Staff(Role::Viewer);
    // Profiles are shared by every panel.
    let admin = Access::AllPanels(Role::Admin);
    Routes::new(state)
        .get(PATH, v, page)
        .get("/reports/top-spenders.json", v, json)
        .get("/reports/top-spenders/user", v, user_page)
        .get("/reports/top-spenders/profiles", v, profiles_page)
        .get("/reports/top-spenders/profiles/new", admin, new_profile_page)
        .post("/reports/top-spenders/profiles", admin, create_profile)
        .get("/reports/top-spenders/profiles/{id}", admin, edit_profile_page)
        .post("/reports/top-spenders/profiles/{id}", admin, update_profile)
        .post("/reports/top-spenders/profiles/{id}/delete", admin, delete_profile)
}

/// `panel` is the chosen panel, already checked against the caller's scope (the guard does it for
/// a staff member and for an API key alike).
pub async fn params_from(
    conn: &shared::db::Conn,
    panel: Option<i64>,
    q: &Params,
) -> AppResult<(UserProfile, TopSpendersParams)> {
    let profile = profiles::chosen(conn, q.int("profile", 1..=i64::MAX)?).await?;
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
    Ok((profile, p))
}

async fn json(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let (_, p) = params_from(&conn, viewer.panel, &q).await?;
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
        p { "Spot top spenders and new high-value sign-ups in any chosen window. Follow up with whales, run welcome offers, or catch new sign-ups depositing big amounts." }
        h3 { "Columns" }
        ul {
            li { "User — panel + id + username/email. 🆕 when the user signed up inside the last " (p.window_hours) " hours." }
            li { "Joined — sign-up date." }
            li { "Payments — count and total of payments with status completed created inside the window." }
            li { "Spend (window) — the sum of the charges of the user's orders created inside the window, excluding canceled and fail orders. The list is sorted by this column, highest first." }
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
        p { "Pick 12/24/48/72/96h or a custom number of hours. The report re-aggregates from scratch each time. Every number opens the orders and payments behind it." }
    })
}

async fn page(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
    let conn = state.db.connect().await?;
    let (profile, p) = params_from(&conn, viewer.panel, &q).await?;
    let (rows, total) = top_spenders(&conn, &viewer.listed_scope(), &p, shared::time::now()).await?;
    let all_profiles = profiles::list(&conn).await?;
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
    let content = html! {
        (how_to_read(&p))
        form.filters method="get" action=(PATH) {
            @if let Some(pn) = viewer.panel { input type="hidden" name="panel" value=(pn); }
            input type="hidden" name="window_hours" value=(p.window_hours);
            div { label for="profile" { "Profile" }
                select #profile name="profile" data-autosubmit {
                    @for pr in &all_profiles { option value=(pr.id) selected[pr.id == profile.id] { (pr.name) @if pr.is_default { " (default)" } } }
                } }
            noscript { button type="submit" { "Show" } }
            a href=(link(&viewer, "/reports/top-spenders/profiles")) { "Profiles" }
            span.muted { "Min payments " (p.min_payments) " · min spend " (money::usd(p.min_spend)) " · " (restriction(&p.user_ids)) }
        }
        (window_tabs(&viewer, PATH, TABS, p.window_hours, &keep))
        p.summary { (total) " users qualify" @if total > rows.len() { " · showing the top " (rows.len()) } " · "
            a href=(format!("{}.json{}", PATH, raw.as_deref().map(|r| format!("?{r}")).unwrap_or_default())) { "JSON" }
            " · " (crate::exports::link(PATH, raw.as_deref())) }
        (ui::table(&[col("User"), col("Joined"), num("Payments"), num("Spend (window)"), num("Lifetime"), col("Top services")], &table_rows, empty))
    };
    Ok(ui::page(&viewer, "User tracking", content))
}

async fn user_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> AppResult<Markup> {
    let q = Params::parse(raw.as_deref())?;
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

// ---- Profiles ----

async fn profiles_page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let list = profiles::list(&conn).await?;
    let admin = viewer.is(Role::Admin);
    let rows: Vec<Markup> = list
        .iter()
        .map(|p| html! { tr {
            td { a href=(href(&viewer, PATH, &[("profile", p.id.to_string())])) { (p.name) } @if p.is_default { " " span.label { "default" } } }
            td { @if p.user_ids.is_empty() { "All" } @else { (ids_text(&p.user_ids)) } }
            td.num { (p.min_payments) } td.num { (money::usd(p.min_spend)) }
            td { (ui::time(p.created)) }
            td { @if admin { a href=(format!("/reports/top-spenders/profiles/{}", p.id)) { "Edit" } } }
        } })
        .collect();
    let content = html! {
        @if admin { p.actions { a.button href="/reports/top-spenders/profiles/new" { "New profile" } } }
        (ui::table(&[col("Name"), col("Users"), num("Min payments"), num("Min spend"), col("Created"), col("")],
            &rows, ui::empty_state("No profiles yet: create one.", None)))
    };
    Ok(ui::page(&viewer, "User tracking profiles", content))
}

fn profile_form(viewer: &Viewer, p: Option<&UserProfile>, data: &FormData, errors: &FormErrors) -> Markup {
    let action = p
        .map(|p| format!("/reports/top-spenders/profiles/{}", p.id))
        .unwrap_or("/reports/top-spenders/profiles".into());
    let v = |name: &str, saved: String| data.get(name).map(str::to_string).unwrap_or(saved);
    html! {
        form.card method="post" action=(action) {
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: None, error: errors.get("name") },
                text_input("name", &v("name", p.map(|p| p.name.clone()).unwrap_or_default()), true, "text")))
            (field(Field { name: "user_ids", label: "Users", help: Some("User ids separated by commas; leave empty for every user."), error: errors.get("user_ids") },
                text_input("user_ids", &v("user_ids", p.map(|p| ids_text(&p.user_ids)).unwrap_or_default()), false, "text")))
            (field(Field { name: "min_payments", label: "Min payments", help: Some("Drop users with fewer completed payments in the window."), error: errors.get("min_payments") },
                text_input("min_payments", &v("min_payments", p.map(|p| p.min_payments).unwrap_or(0).to_string()), true, "number")))
            (field(Field { name: "min_spend", label: "Min spend ($)", help: Some("Drop users whose window spend is below this amount."), error: errors.get("min_spend") },
                text_input("min_spend", &v("min_spend", money::format(p.map(|p| p.min_spend).unwrap_or(0))), true, "text")))
            div.field { label { input type="checkbox" name="is_default" value="1" checked[p.is_some_and(|p| p.is_default) || data.checked("is_default")]; " Default profile" } }
            div.actions {
                button type="submit" { "Save profile" }
                a href=(link(viewer, "/reports/top-spenders/profiles")) { "Cancel" }
            }
        }
        @if let Some(p) = p {
            @if !p.is_default {
                form method="post" action=(format!("/reports/top-spenders/profiles/{}/delete", p.id)) {
                    (csrf_input(viewer))
                    button.danger type="submit" data-confirm="Delete this profile?" { "Delete profile" }
                }
            }
        }
    }
}

fn validate(data: &FormData) -> Result<ProfileInput, FormErrors> {
    let mut e = FormErrors::default();
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        e.add("name", "Enter a name of up to 80 characters.");
    }
    let user_ids = parse_ids(&data.text("user_ids")).unwrap_or_else(|m| {
        e.add("user_ids", m);
        Vec::new()
    });
    let min_payments = match data.text("min_payments").parse::<i64>() {
        Ok(n) if (0..=1_000_000).contains(&n) => n,
        _ => {
            e.add("min_payments", "Enter a whole number from 0 to 1000000.");
            0
        }
    };
    let min_spend = match money::parse_decimal(&data.text("min_spend")) {
        Some(m) if m >= 0 => m,
        _ => {
            e.add("min_spend", "Enter an amount like 0, 25 or 12.50.");
            0
        }
    };
    if e.is_empty() {
        Ok(ProfileInput { name, user_ids, min_payments, min_spend, is_default: data.checked("is_default") })
    } else {
        Err(e)
    }
}

async fn new_profile_page(viewer: Viewer) -> Markup {
    ui::page(
        &viewer,
        "New user tracking profile",
        profile_form(&viewer, None, &FormData::default(), &FormErrors::default()),
    )
}

async fn load(conn: &shared::db::Conn, id: i64) -> AppResult<UserProfile> {
    profiles::get(conn, id).await?.ok_or_else(|| AppError::not_found("That profile"))
}

async fn edit_profile_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let p = load(&conn, id).await?;
    Ok(ui::page(
        &viewer,
        &format!("Profile: {}", p.name),
        profile_form(&viewer, Some(&p), &FormData::default(), &FormErrors::default()),
    ))
}

async fn create_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let input = match validate(&data) {
        Ok(i) => i,
        Err(e) => {
            return Ok(ui::invalid(ui::page(
                &viewer,
                "New user tracking profile",
                profile_form(&viewer, None, &data, &e),
            )))
        }
    };
    let conn = state.db.connect().await?;
    let id = profiles::save(&conn, None, &input, shared::time::now()).await?;
    common::log(
        &state,
        &viewer,
        &client,
        "user_profile.created",
        &format!("Created user tracking profile {} (#{id})", input.name),
        None,
    )
    .await?;
    Ok(flash_redirect(
        "/reports/top-spenders/profiles",
        &format!("Profile {} created.", input.name),
        client.secure,
    ))
}

async fn update_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
    data: FormData,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let old = load(&conn, id).await?;
    let input = match validate(&data) {
        Ok(i) => i,
        Err(e) => {
            return Ok(ui::invalid(ui::page(
                &viewer,
                &format!("Profile: {}", old.name),
                profile_form(&viewer, Some(&old), &data, &e),
            )))
        }
    };
    profiles::save(&conn, Some(id), &input, shared::time::now()).await?;
    let details = format!(
        "Updated user tracking profile {} (#{id}): min payments {}, min spend {}, users [{}]",
        input.name,
        input.min_payments,
        money::format(input.min_spend),
        ids_text(&input.user_ids)
    );
    common::log(&state, &viewer, &client, "user_profile.updated", &details, None).await?;
    Ok(flash_redirect(
        "/reports/top-spenders/profiles",
        &format!("Profile {} saved.", input.name),
        client.secure,
    ))
}

async fn delete_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let p = load(&conn, id).await?;
    if p.is_default {
        return Ok(flash_redirect(
            "/reports/top-spenders/profiles",
            "The default profile cannot be deleted: make another profile the default first.",
            client.secure,
        ));
    }
    profiles::delete(&conn, id).await?;
    common::log(
        &state,
        &viewer,
        &client,
        "user_profile.deleted",
        &format!("Deleted user tracking profile {} (#{id})", p.name),
        None,
    )
    .await?;
    Ok(flash_redirect(
        "/reports/top-spenders/profiles",
        &format!("Profile {} deleted.", p.name),
        client.secure,
    ))
}
