//! The console's own admin API, `/adminapi/v2`: Perfect Panel's admin API v2 (envelope, paging, query
//! names, row fields) over the cache of every panel an API key may read. Each operation is an
//! [`op::Op`] registered through [`op::Api`], which also feeds the OpenAPI document.

pub mod call;
mod money;
pub mod op;
pub mod openapi;
mod order_actions;
mod orders;
mod payments;
mod reports;
mod services;
mod sql;
mod tickets;
mod users;

use shared::{Access, AppState, Routes};

use op::Api;

/// Every operation. A report is added the same way: an `Op` (scope `ReportsRead`, its rows as
/// `Field`s) and one `.op(&OP, handler)` line here.
pub fn api(state: &AppState) -> Api {
    Api::new(state)
        .op(&orders::LIST, orders::list)
        .op(&orders::ONE, orders::one)
        .op(&order_actions::RESEND, order_actions::resend)
        .op(&order_actions::REQUEST_CANCEL, order_actions::request_cancel)
        .op(&order_actions::CANCEL, order_actions::cancel)
        .op(&order_actions::CHANGE_STATUS, order_actions::change_status)
        .op(&order_actions::SET_PARTIAL, order_actions::set_partial)
        .op(&order_actions::EDIT_LINK, order_actions::edit_link)
        .op(&users::LIST, users::list)
        .op(&payments::LIST, payments::list)
        .op(&tickets::LIST, tickets::list)
        .op(&tickets::ONE, tickets::one)
        .op(&tickets::REPLY, tickets::reply)
        .op(&services::LIST, services::list)
        .op(&reports::SERVICE_HEALTH, reports::service_health)
        .op(&reports::TOP_SPENDERS, reports::top_spenders)
        .op(&money::MARGINS, money::margins)
        .op(&money::PROVIDERS, money::providers)
        .op(&reports::TICKETS_STAFF, reports::tickets_staff)
        .op(&reports::TICKETS_SERVICES, reports::tickets_services)
        .op(&reports::STAFF_STATISTICS, reports::staff_statistics)
        .op(&reports::COMPETITORS, reports::competitors)
}

pub fn routes(state: &AppState) -> Routes {
    // The document is public: it holds no data, and tools fetch it without a key.
    api(state).routes.get(openapi::PATH, Access::Public, openapi::serve)
}
