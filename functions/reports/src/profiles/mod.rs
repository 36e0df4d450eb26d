//! Report profiles (Service tracking's and User tracking's): named settings a report is read with, one
//! of them the default, which cannot be deleted. Both kinds share their storage, their list and their
//! form here; a kind says only what its settings are ([`Profile`]).

pub mod editor;

use libsql::Value;
use maud::Markup;
use serde::Serialize;
use shared::db::{Conn, Read, Reads, Row, Stmt};
use shared::ui::form::{FormData, FormErrors};
use shared::ui::Col;
use shared::{AppError, AppResult};

use crate::common::collect;

/// The paths of a kind's profile pages (route paths are static text).
pub struct Paths {
    /// The report the profiles are for.
    pub report: &'static str,
    pub list: &'static str,
    pub new: &'static str,
    pub item: &'static str,
    pub delete: &'static str,
}

/// A kind of profile: its table, its settings and how they are shown, entered and logged.
pub trait Profile: Clone + Send + Sync + Serialize + Sized + 'static {
    /// The settings besides name and default, as a valid form gives them.
    type Settings: Send + Sync;
    const TABLE: &'static str;
    /// The settings' columns, in the order [`Profile::bind`] gives their values.
    const COLUMNS: &'static [&'static str];
    /// "service tracking", in titles and the activity log's words.
    const KIND: &'static str;
    /// The activity log's actions: created, updated, deleted.
    const ACTIONS: [&'static str; 3];
    const PATHS: Paths;

    /// What every profile has.
    fn head(&self) -> Head<'_>;
    /// From `SELECT id, name, is_default, created, COLUMNS…`: the settings start at column 4.
    fn from_row(r: &Row) -> AppResult<Self>;
    fn bind(s: &Self::Settings) -> Vec<Value>;
    /// The list's columns after Name, and one profile's cells under them.
    fn list_columns() -> Vec<Col<'static>>;
    fn list_cells(&self) -> Markup;
    /// The form's fields after Name: the posted value of a field (after an error) else the saved one.
    fn fields(saved: Option<&Self>, value: &dyn Fn(&str, String) -> String, errors: &FormErrors) -> Markup;
    fn validate(data: &FormData, errors: &mut FormErrors) -> Self::Settings;
    /// The saved settings in words, for the activity log.
    fn describe(s: &Self::Settings) -> String;
}

/// What every profile has, whatever its kind.
pub struct Head<'a> {
    pub id: i64,
    pub name: &'a str,
    pub is_default: bool,
    pub created: i64,
}

/// A profile as the form gives it.
pub struct Input<P: Profile> {
    pub name: String,
    pub is_default: bool,
    pub settings: P::Settings,
}

fn select<P: Profile>() -> String {
    format!("SELECT id, name, is_default, created, {} FROM {}", P::COLUMNS.join(", "), P::TABLE)
}

/// Every profile, the default first.
pub async fn list<P: Profile>(conn: &Conn) -> AppResult<Vec<P>> {
    let rows = conn.query(&format!("{} ORDER BY is_default DESC, name, id", select::<P>()), ()).await?;
    collect(rows, P::from_row).await
}

pub async fn get<P: Profile>(conn: &Conn, id: i64) -> AppResult<Option<P>> {
    let rows = conn.query(&format!("{} WHERE id = ?1", select::<P>()), libsql::params![id]).await?;
    Ok(collect(rows, P::from_row).await?.into_iter().next())
}

/// The default profile (the first if none is marked default), as [`chosen`] picks it, in a batch.
pub fn default_read<P: Profile>(reads: &mut Reads) -> Read<P> {
    let sql = format!("{} ORDER BY is_default DESC, name, id LIMIT 1", select::<P>());
    reads.add(Stmt::new(sql, ()), P::from_row)
}

/// The chosen profile (else the default one) and every profile: profiles are few, so one read of them
/// all gives both the report's settings and the page's profile menu.
pub async fn chosen<P: Profile>(conn: &Conn, id: Option<i64>) -> AppResult<(P, Vec<P>)> {
    let all = list::<P>(conn).await?;
    let pick = match id {
        Some(id) => all
            .iter()
            .find(|p| p.head().id == id)
            .ok_or_else(|| AppError::bad_request("profile: no profile has that id."))?,
        None => all.first().ok_or_else(|| AppError::internal(format!("no {} profile", P::KIND)))?,
    };
    Ok((pick.clone(), all))
}

/// Creates (`id` None) or updates a profile; making it the default unmarks the others, atomically.
pub async fn save<P: Profile>(conn: &Conn, id: Option<i64>, input: &Input<P>, now: i64) -> AppResult<i64> {
    let (cols, settings) = (P::COLUMNS, P::bind(&input.settings));
    let tx = shared::db::write_tx(conn).await?;
    if input.is_default {
        tx.execute(&format!("UPDATE {} SET is_default = 0", P::TABLE), ()).await?;
    }
    let mut args: Vec<Value> = vec![input.name.clone().into(), i64::from(input.is_default).into()];
    let id = match id {
        Some(id) => {
            let sets: Vec<String> =
                cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 3)).collect();
            let sql = format!(
                "UPDATE {} SET name = ?1, is_default = CASE WHEN ?2 THEN 1 ELSE is_default END, {} WHERE id = ?{}",
                P::TABLE,
                sets.join(", "),
                cols.len() + 3
            );
            args.extend(settings);
            args.push(id.into());
            tx.execute(&sql, args).await?;
            id
        }
        None => {
            let marks: Vec<String> = (0..cols.len()).map(|i| format!("?{}", i + 4)).collect();
            let sql = format!(
                "INSERT INTO {} (name, is_default, created, {}) VALUES (?1, ?2, ?3, {})",
                P::TABLE,
                cols.join(", "),
                marks.join(", ")
            );
            args.push(now.into());
            args.extend(settings);
            tx.execute(&sql, args).await?;
            tx.last_insert_rowid()
        }
    };
    tx.commit().await?;
    Ok(id)
}

/// Deletes a profile unless it is the default.
pub async fn delete<P: Profile>(conn: &Conn, id: i64) -> AppResult<bool> {
    let tx = shared::db::write_tx(conn).await?;
    let n = tx
        .execute(&format!("DELETE FROM {} WHERE id = ?1 AND is_default = 0", P::TABLE), libsql::params![id])
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// A profile's name as the form gives it, or its error.
pub fn valid_name(data: &FormData, errors: &mut FormErrors) -> String {
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Enter a name of up to 80 characters.");
    }
    name
}
