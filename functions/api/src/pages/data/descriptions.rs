//! Service descriptions: a CSV keyed by (panel_id, service_id) with a description column. Existing
//! rows are overwritten; other columns are kept for reference. A file that cannot be read as CSV
//! changes nothing; single bad lines are rejected with their line number and reason.

use std::collections::HashMap;

use axum::extract::{Multipart, State};
use axum::response::Response;
use maud::{html, Markup};

use shared::auth::{ClientInfo, Viewer};
use shared::ui::{self, col, csrf_input, num};
use shared::{AppResult, AppState};

use crate::audit_log::log;

pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub inserted: usize,
    pub updated: usize,
    pub rejected: Rejected,
}

/// (line number in the file, reason)
pub type Rejected = Vec<(u64, String)>;

pub struct Line {
    pub panel_id: i64,
    pub service_id: i64,
    pub description: String,
    pub extra: String,
}

/// Reads the whole file before anything is written: Err = the file is malformed (nothing changes);
/// Ok = the good lines and the rejected ones.
pub fn parse(text: &str, allowed: &dyn Fn(i64) -> bool) -> Result<(Vec<Line>, Rejected), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err("The file is empty.".into());
    }
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The header line cannot be read: {e}"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(pi), Some(si), Some(di)) = (
        find(&["panel_id", "panel"]),
        find(&["service_id", "service"]),
        find(&["description", "service_description"]),
    ) else {
        return Err("The header line must name the columns panel_id, service_id and description.".into());
    };
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashMap<(i64, i64), u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            format!("Line {line} is not valid CSV ({e}); nothing was imported.")
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize| record.get(i).unwrap_or("");
        let Ok(panel_id) = field(pi).parse::<i64>() else {
            rejected.push((line, format!("panel_id “{}” is not a number", field(pi))));
            continue;
        };
        if !allowed(panel_id) {
            rejected.push((line, format!("panel {panel_id} does not exist or is not one of your panels")));
            continue;
        }
        let Ok(service_id) = field(si).parse::<i64>() else {
            rejected.push((line, format!("service_id “{}” is not a number", field(si))));
            continue;
        };
        let description = field(di).to_string();
        if description.is_empty() {
            rejected.push((line, "the description is empty".into()));
            continue;
        }
        if let Some(first) = seen.insert((panel_id, service_id), line) {
            rejected.push((
                line,
                format!("panel {panel_id} service {service_id} already appears on line {first}"),
            ));
            continue;
        }
        let extra: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| ![pi, si, di].contains(i))
            .map(|(i, h)| (h.clone(), serde_json::Value::String(field(i).to_string())))
            .collect();
        lines.push(Line {
            panel_id,
            service_id,
            description,
            extra: serde_json::Value::Object(extra).to_string(),
        });
    }
    Ok((lines, rejected))
}

/// Writes the good lines in one transaction.
pub async fn store(state: &AppState, lines: &[Line]) -> AppResult<(usize, usize)> {
    let conn = state.db.connect().await?;
    let mut existing = 0;
    for l in lines {
        let mut rows = conn
            .query(
                "SELECT 1 FROM service_descriptions WHERE panel_id = ?1 AND service_id = ?2",
                (l.panel_id, l.service_id),
            )
            .await?;
        if rows.next().await?.is_some() {
            existing += 1;
        }
    }
    let now = shared::time::now();
    let tx = shared::db::write_tx(&conn).await?;
    for l in lines {
        tx.execute(
            "INSERT INTO service_descriptions (panel_id, service_id, description, extra, updated) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (panel_id, service_id) DO UPDATE SET description = excluded.description,
               extra = excluded.extra, updated = excluded.updated",
            libsql::params![l.panel_id, l.service_id, l.description.as_str(), l.extra.as_str(), now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok((lines.len() - existing, existing))
}

fn form(viewer: &Viewer) -> Markup {
    html! {
        form.card method="post" enctype="multipart/form-data" action="/services/descriptions" {
            // First, so the token is read before the file.
            (csrf_input(viewer))
            div.field {
                label for="file" { "CSV file" }
                input #file type="file" name="file" accept=".csv,text/csv";
                p.help { "Columns panel_id, service_id and description, with a header line. Existing rows are overwritten; other columns are reference-only." }
            }
            div.field {
                label for="csv" { "…or paste the CSV" }
                textarea #csv name="csv" rows="8" placeholder="panel_id,service_id,description" {}
            }
            button type="submit" { "Import service descriptions" }
        }
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let conn = state.db.connect().await?;
    let mut rows = conn
        .query(
            &format!(
                "SELECT panel_id, COUNT(*), MAX(updated) FROM service_descriptions WHERE {} GROUP BY panel_id",
                viewer.panel_sql("panel_id")
            ),
            (),
        )
        .await?;
    let mut counts = Vec::new();
    while let Some(r) = rows.next().await? {
        counts.push((r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<i64>(2)?));
    }
    let rows: Vec<Markup> = counts
        .iter()
        .map(|(p, n, at)| html! { tr { td { (viewer.panel_name(*p)) } td.num { (n) } td { (ui::time(*at)) } } })
        .collect();
    let content = html! {
        (ui::table(&[col("Panel"), num("Descriptions"), col("Last import")], &rows,
            ui::empty_state("No service descriptions yet. Import a CSV below; they show on the Services page.", None)))
        h2 { "Import service descriptions" }
        (form(&viewer))
    };
    Ok(ui::page(&viewer, "Service descriptions", content))
}

/// The uploaded file's text, or why it cannot be read.
async fn read_file(multipart: &mut Multipart) -> Result<String, String> {
    let malformed = |_| "The upload was interrupted or malformed.".to_string();
    let mut text = String::new();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        if name != "file" && name != "csv" {
            continue;
        }
        let bytes = field.bytes().await.map_err(malformed)?;
        if bytes.len() > MAX_BYTES {
            return Err("The file is larger than 5 MB; split it.".into());
        }
        if !bytes.is_empty() && text.is_empty() {
            text = String::from_utf8(bytes.to_vec()).map_err(|e| {
                format!(
                    "The file is not UTF-8 text (byte {} is not valid UTF-8); save it as “CSV UTF-8” and upload it again.",
                    e.utf8_error().valid_up_to() + 1
                )
            })?;
        }
    }
    Ok(text)
}

pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    mut multipart: Multipart,
) -> AppResult<Response> {
    // Whatever is wrong with the file comes back on the form, in words, like a file with missing
    // columns does; nothing is imported.
    let refuse = |msg: &str| {
        let content = html! {
            p.error role="alert" { (msg) " Nothing was imported." }
            (form(&viewer))
        };
        ui::invalid(ui::page(&viewer, "Service descriptions", content))
    };
    let text = match read_file(&mut multipart).await {
        Ok(text) => text,
        Err(msg) => return Ok(refuse(&msg)),
    };
    let scope = viewer.scope();
    let known: Vec<i64> = viewer.panels.iter().map(|p| p.id).collect();
    let allowed = |p: i64| known.contains(&p) && scope.allows(p);
    let (lines, rejected) = match parse(&text, &allowed) {
        Ok(v) => v,
        Err(msg) => return Ok(refuse(&msg)),
    };
    let (inserted, updated) = store(&state, &lines).await?;
    let outcome = Outcome { inserted, updated, rejected };
    log(
        &state,
        &viewer,
        &client,
        "service_descriptions.imported",
        &format!(
            "{} inserted, {} updated, {} rejected",
            outcome.inserted,
            outcome.updated,
            outcome.rejected.len()
        ),
        None,
    )
    .await?;
    let content = html! {
        p.summary role="status" {
            strong { (outcome.inserted) } " inserted · " strong { (outcome.updated) } " updated · "
            strong { (outcome.rejected.len()) } " rejected"
        }
        @if !outcome.rejected.is_empty() {
            (ui::table(&[num("Line"), col("Why it was rejected")],
                &outcome.rejected.iter().map(|(l, why)| html! { tr { td.num { (l) } td { (why) } } }).collect::<Vec<_>>(), html! {}))
        }
        p { a href="/services/descriptions" { "Import another file" } " · " a href="/services" { "Open Services" } }
    };
    use axum::response::IntoResponse;
    Ok(ui::page(&viewer, "Import result", content).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_lines() {
        let csv = "panel_id,service_id,description,price\n1,10,Fast likes,1.2\nx,11,Bad panel,1\n9,12,Not mine,1\n1,abc,Bad id,1\n1,13,,1\n1,10,Again,2\n1,14,\"Quoted, with comma\",3\n";
        let (lines, rejected) = parse(csv, &|p| p == 1).unwrap_or_default();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].description, "Quoted, with comma");
        assert!(lines[0].extra.contains("\"price\":\"1.2\""));
        let numbers: Vec<u64> = rejected.iter().map(|r| r.0).collect();
        assert_eq!(numbers, vec![3, 4, 5, 6, 7]);
        assert!(rejected[4].1.contains("line 2"));
    }

    #[test]
    fn malformed_files_change_nothing() {
        assert!(parse("", &|_| true).is_err());
        assert!(parse("a,b\n1,2\n", &|_| true).is_err(), "missing columns");
        assert!(parse("panel_id,service_id,description\n1,2,ok\n1,3\n", &|_| true).is_err(), "ragged line");
    }
}
