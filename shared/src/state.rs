//! The one application state every router shares.

use std::ops::Deref;
use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;
use crate::error::AppResult;

pub struct App {
    pub db: Db,
    pub config: Config,
    /// Wakes the local runner's sync timer ("Sync now"). On Lambda nobody listens: the next scheduled
    /// run, at most a minute away, takes the request from the database.
    pub sync_kick: tokio::sync::Notify,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Opens the database and brings its schema up to date: a function never serves an older schema.
    pub async fn init(config: Config) -> AppResult<AppState> {
        crate::fs_mode::secure_database(config.database.local_path())?;
        let db = Db::open(&config.database).await?;
        crate::db::migrate(&db).await?;
        Ok(AppState(Arc::new(App { db, config, sync_kick: tokio::sync::Notify::new() })))
    }
}
