//! The one integration-test binary (one link step for the whole suite). Each test gets a fresh,
//! migrated database file and drives the real router in memory, or over loopback where a real
//! client (the browser) needs a socket.

mod helpers;
mod layout;

mod access_walk;
mod account;
mod activity;
mod adminapi;
mod ai_pages;
mod ai_review;
mod ai_support;
mod alerts;
mod alerts_pages;
mod auth;
mod base_path;
mod browser;
mod cli;
mod competitors;
mod competitors_report;
mod console_fixes;
mod data_pages;
mod delivery;
mod exports;
mod file_modes;
mod health;
mod hosted;
mod lambda_events;
mod lambda_runtime;
mod migrations;
mod outbound;
mod panel_releases;
mod panels;
mod reports_api;
mod reports_live;
mod reports_response_times;
mod reports_service;
mod reports_support;
mod reports_tickets;
mod reports_users;
mod request_span;
mod rollups;
mod round_trips;
mod scope;
mod secrets;
mod security_headers;
mod staff;
mod sync;
mod sync_faults;
mod sync_page;
mod sync_support;
mod template;
