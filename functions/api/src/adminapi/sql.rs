//! Reading the cache for the API: a WHERE builder with bound values, and Perfect Panel's shapes for
//! money (`{value, currency_code, formatted}` with five decimals) and times (`YYYY-MM-DD HH:MM:SS` UTC
//! next to a `_timestamp` in Unix seconds).

use libsql::Value as Sql;
use serde_json::{json, Value};

use shared::db::{opt_i64, opt_text};
use shared::pp::money::fixed;
use shared::{AppError, AppResult, AppState};

pub use shared::db::Where;

/// Runs a query and converts each row as it is read (a libsql row is only valid until the next one).
pub async fn rows<T>(
    state: &AppState,
    sql: &str,
    args: Vec<Sql>,
    mut each: impl FnMut(&shared::db::Row) -> AppResult<T>,
) -> AppResult<Vec<T>> {
    let conn = state.db.connect().await?;
    let mut rs = conn.query(sql, libsql::params_from_iter(args)).await?;
    let mut out = Vec::new();
    while let Some(r) = rs.next().await? {
        out.push(each(&r)?);
    }
    Ok(out)
}

pub async fn count(state: &AppState, table: &str, w: &Where) -> AppResult<i64> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {}", w.sql());
    let found = rows(state, &sql, w.args.clone(), |r| Ok(r.get::<i64>(0)?)).await?;
    found.first().copied().ok_or_else(|| AppError::internal("COUNT returned no row"))
}

pub fn int(r: &shared::db::Row, i: i32) -> AppResult<Value> {
    Ok(opt_i64(r, i)?.map(Value::from).unwrap_or(Value::Null))
}

pub fn text(r: &shared::db::Row, i: i32) -> AppResult<Value> {
    Ok(opt_text(r, i)?.map(Value::from).unwrap_or(Value::Null))
}

pub fn boolean(r: &shared::db::Row, i: i32) -> AppResult<Value> {
    Ok(opt_i64(r, i)?.map(|b| Value::Bool(b != 0)).unwrap_or(Value::Null))
}

/// Perfect Panel's money object; `null` when the panel gave no amount.
pub fn money(micros: Option<i64>, currency: Option<&str>) -> Value {
    let Some(micros) = micros else { return Value::Null };
    let cur = currency.filter(|c| !c.is_empty()).unwrap_or("USD");
    let value = fixed(micros, 5);
    let cents = fixed(micros, 2);
    let formatted = match cents.strip_prefix('-') {
        Some(abs) if cur == "USD" => format!("-${abs}"),
        None if cur == "USD" => format!("${cents}"),
        _ => format!("{cents} {cur}"),
    };
    json!({"value": value, "currency_code": cur, "formatted": formatted})
}

pub use shared::time::datetime;

/// Sets `<name>` and `<name>_timestamp` (both `null` when unknown).
pub fn put_time(obj: &mut Value, name: &str, ts: Option<i64>) {
    obj[name] = ts.map(|t| Value::from(datetime(t))).unwrap_or(Value::Null);
    obj[format!("{name}_timestamp")] = ts.map(Value::from).unwrap_or(Value::Null);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_time_look_like_perfect_panel() {
        assert_eq!(
            money(Some(120_000), Some("USD")),
            json!({"value": "0.12000", "currency_code": "USD", "formatted": "$0.12"})
        );
        assert_eq!(money(Some(-12_500_000), None)["formatted"], "-$12.50");
        assert_eq!(money(Some(1_234_567), Some("EUR"))["value"], "1.23457");
        assert_eq!(money(Some(-1_234_567), Some("EUR"))["formatted"], "-1.23 EUR");
        // Cents that round up carry into the dollars.
        assert_eq!(money(Some(999_000), None)["formatted"], "$1.00");
        assert_eq!(money(Some(4_995_000), None)["formatted"], "$5.00");
        assert_eq!(money(None, None), Value::Null);
        assert_eq!(datetime(1_750_329_957), "2025-06-19 10:45:57");
        // Our own client reads them back exactly (to the fifth decimal).
        assert_eq!(shared::pp::money::parse(&money(Some(120_000), None)).map(|m| m.0), Some(120_000));
    }
}
