//! Console pages, one file per screen.

mod account;
mod actions;
mod activity;
mod alerts;
mod api_docs;
mod api_keys;
mod competitors;
mod data;
mod overview;
mod panel_target;
mod panels;
mod session;
mod setup;
mod staff;
mod sync_settings;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use shared::auth::Role;
use shared::{Access, AppState, Routes};

pub fn routes(state: &AppState) -> Routes {
    let staff = Access::Staff;
    // Payment methods feed every panel's fraud signals.
    let shared_setting = Access::AllPanels;
    Routes::new(state)
        .get("/login", Access::Public, session::login_page)
        .post("/login", Access::Public, session::login)
        .post("/logout", staff(Role::Viewer), session::logout)
        .get("/setup", Access::Public, setup::page)
        .post("/setup", Access::Public, setup::submit)
        .get("/", staff(Role::Viewer), overview::page)
        .get("/account", staff(Role::Viewer), account::page)
        .post("/account/password", staff(Role::Viewer), account::change_password)
        .post("/account/sessions/{id}/end", staff(Role::Viewer), account::end_session)
        .post("/account/sessions/end-others", staff(Role::Viewer), account::end_others)
        .get("/activity", staff(Role::Admin), activity::page)
        .get("/activity.csv", staff(Role::Admin), activity::export)
        .get("/alerts", staff(Role::Viewer), alerts::history::page)
        .get("/alerts.csv", staff(Role::Viewer), alerts::export::export)
        .get(alerts::settings::PATH, staff(Role::Admin), alerts::settings::list)
        .post(alerts::settings::PATH, staff(Role::Admin), alerts::settings::create)
        // The rules' thresholds hold for every panel.
        .post("/settings/alerts/rules", shared_setting(Role::Owner), alerts::settings::save_rules)
        .post("/settings/alerts/{id}", staff(Role::Admin), alerts::settings::update)
        .post("/settings/alerts/{id}/delete", staff(Role::Admin), alerts::settings::delete)
        .post("/settings/alerts/{id}/test", staff(Role::Admin), alerts::settings::test)
        .get("/orders", staff(Role::Viewer), data::orders::list)
        .get("/orders.csv", staff(Role::Viewer), data::exports::orders)
        .get("/tickets.csv", staff(Role::Viewer), data::exports::tickets)
        .get("/users.csv", staff(Role::Viewer), data::exports::users)
        .get("/payments.csv", staff(Role::Viewer), data::exports::payments)
        .get("/services.csv", staff(Role::Viewer), data::exports::services)
        .get("/orders/selection", staff(Role::Viewer), data::orders::selection)
        .get("/orders/{panel}/{id}", staff(Role::Viewer), data::orders::detail)
        // Agents and up; each action's own role (admin for money and status) is checked by the handler.
        .get(shared::ui::actions::CONFIRM_PATH, staff(Role::Agent), actions::confirm)
        .post("/actions", staff(Role::Agent), actions::start)
        .get("/actions/{id}", staff(Role::Agent), actions::page)
        .get("/tickets", staff(Role::Viewer), data::tickets::list)
        .get("/tickets/{panel}/{id}", staff(Role::Viewer), data::tickets::page)
        .post("/tickets/{panel}/{id}/reply", staff(Role::Agent), data::tickets::reply)
        .get("/users", staff(Role::Viewer), data::users::list)
        .get("/users/{panel}/named", staff(Role::Viewer), data::users::by_name)
        .get("/users/{panel}/{id}", staff(Role::Viewer), data::users::page)
        .get("/payments", staff(Role::Viewer), data::payments::list)
        .get("/services", staff(Role::Viewer), data::services::list)
        .post("/services/refresh", staff(Role::Agent), data::services::refresh)
        .get("/services/{panel}/{id}/report", staff(Role::Agent), data::services::report_page)
        .post("/services/{panel}/{id}/report", staff(Role::Agent), data::services::report)
        .get("/services/descriptions", staff(Role::Admin), data::descriptions::page)
        // The upload reads up to its own 5 MB limit (axum's multipart default stops at 2 MB).
        .post(
            "/services/descriptions",
            staff(Role::Admin),
            data::descriptions::import
                .layer(DefaultBodyLimit::max(data::descriptions::MAX_BYTES + 64 * 1024)),
        )
        .get("/service-reports", staff(Role::Viewer), data::reports_list::list)
        .get("/service-reports.csv", staff(Role::Viewer), data::reports_list::export)
        .post("/service-reports/{id}/resolve", staff(Role::Admin), data::reports_list::resolve)
        .get("/canned-replies", staff(Role::Viewer), data::canned::list)
        .post("/canned-replies", staff(Role::Agent), data::canned::create)
        .get("/canned-replies/{id}", staff(Role::Agent), data::canned::edit_page)
        .post("/canned-replies/{id}", staff(Role::Agent), data::canned::update)
        .post("/canned-replies/{id}/delete", staff(Role::Agent), data::canned::delete)
        .get("/payment-methods", staff(Role::Viewer), data::methods::list)
        .post("/payment-methods", shared_setting(Role::Admin), data::methods::create)
        .get("/payment-methods/{id}", shared_setting(Role::Admin), data::methods::edit_page)
        .post("/payment-methods/{id}", shared_setting(Role::Admin), data::methods::update)
        .post("/payment-methods/{id}/delete", shared_setting(Role::Admin), data::methods::delete)
        .get("/panels", staff(Role::Viewer), panels::list)
        .get("/panels/new", staff(Role::Owner), panels::new_page)
        .post("/panels", staff(Role::Owner), panels::create)
        .get("/panels/{id}", staff(Role::Admin), panels::edit_page)
        .post("/panels/{id}", staff(Role::Admin), panels::update)
        .post("/panels/{id}/status", staff(Role::Admin), panels::set_status)
        .post("/panels/{id}/response-target", staff(Role::Admin), panel_target::save)
        .get("/settings/sync", staff(Role::Viewer), sync_settings::page)
        .post("/settings/sync/engine", staff(Role::Owner), sync_settings::engine)
        .post("/settings/sync/{id}/edit", staff(Role::Admin), sync_settings::edit)
        .post("/settings/sync/{id}/run", staff(Role::Admin), sync_settings::run_now)
        .get(api_keys::PATH, staff(Role::Owner), api_keys::list)
        .post(api_keys::PATH, staff(Role::Owner), api_keys::create)
        .post("/settings/api-keys/{id}/revoke", staff(Role::Owner), api_keys::revoke)
        .get("/settings/api-keys/docs", staff(Role::Owner), api_docs::page)
        .get("/competitors", staff(Role::Viewer), competitors::rivals::list)
        .get("/competitors/new", staff(Role::Admin), competitors::rivals::new_page)
        .post("/competitors", staff(Role::Admin), competitors::rivals::create)
        .get("/competitors/edit", staff(Role::Admin), competitors::rivals::edit_page)
        .post("/competitors/{id}", staff(Role::Admin), competitors::rivals::update)
        .post("/competitors/{id}/enabled", staff(Role::Admin), competitors::rivals::set_enabled)
        .post("/competitors/{id}/sync", staff(Role::Admin), competitors::rivals::sync_now)
        .get("/competitors/matches", staff(Role::Viewer), competitors::matches::page)
        .post("/competitors/matches/decide", staff(Role::Admin), competitors::matches::decide)
        .get("/competitors/profiles", staff(Role::Viewer), competitors::profiles::list)
        .get("/competitors/profiles/edit", staff(Role::Admin), competitors::profiles::edit_page)
        .post("/competitors/profiles", staff(Role::Admin), competitors::profiles::create)
        .post("/competitors/profiles/{id}", staff(Role::Admin), competitors::profiles::update)
        .post("/competitors/profiles/{id}/delete", staff(Role::Admin), competitors::profiles::delete)
        .get("/staff", staff(Role::Owner), staff::list)
        .get("/staff/new", staff(Role::Owner), staff::new_page)
        .post("/staff", staff(Role::Owner), staff::create)
        .get("/staff/{id}", staff(Role::Owner), staff::edit_page)
        .post("/staff/{id}", staff(Role::Owner), staff::update)
        .post("/staff/{id}/password", staff(Role::Owner), staff::reset_password)
}
