//! Console pages, one file per screen.

mod account;
mod activity;
mod competitors;
mod overview;
mod panels;
mod session;
mod setup;
mod staff;
mod sync_settings;

use shared::auth::Role;
use shared::{Access, AppState, Routes};

pub fn routes(state: &AppState) -> Routes {
    let staff = Access::Staff;
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
        .get("/panels", staff(Role::Viewer), panels::list)
        .get("/panels/new", staff(Role::Owner), panels::new_page)
        .post("/panels", staff(Role::Owner), panels::create)
        .get("/panels/{id}", staff(Role::Admin), panels::edit_page)
        .post("/panels/{id}", staff(Role::Admin), panels::update)
        .post("/panels/{id}/status", staff(Role::Admin), panels::set_status)
        .get("/settings/sync", staff(Role::Viewer), sync_settings::page)
        .post("/settings/sync/engine", staff(Role::Owner), sync_settings::engine)
        .post("/settings/sync/{id}/edit", staff(Role::Admin), sync_settings::edit)
        .post("/settings/sync/{id}/run", staff(Role::Admin), sync_settings::run_now)
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
