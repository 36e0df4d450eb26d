//! "Open API documentation": the OpenAPI document of `/adminapi/v2` rendered on the server from the
//! same JSON the API serves (no CDN, works offline, no script needed).

use axum::extract::State;
use maud::{html, Markup};
use serde_json::Value;

use shared::auth::Viewer;
use shared::ui::{self, col};
use shared::{AppResult, AppState};

use crate::adminapi::openapi;

/// A schema's type in a few words: `integer`, `string | null`, `Money`, `array of object`.
fn type_name(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        return alts.iter().map(type_name).collect::<Vec<_>>().join(" | ");
    }
    match s.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("array of {}", s.get("items").map(type_name).unwrap_or_default())
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => "any".into(),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// An OpenAPI description (Markdown) with its `code` spans as code, not as raw backticks.
fn prose(v: &Value, key: &str) -> Markup {
    let t = text(v, key);
    html! {
        @for (i, part) in t.split('`').enumerate() {
            // Odd parts sit between a pair of backticks; an unpaired last one stays text.
            @if i % 2 == 1 && t.matches('`').count() > i { code { (part) } } @else if i % 2 == 1 { "`" (part) } @else { (part) }
        }
    }
}

fn fields_table(schema: &Value) -> Markup {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rows: Vec<Markup> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| {
                    html! { tr {
                        td { code { (name) } @if required.contains(&name.as_str()) { " *" } }
                        td { (type_name(s)) }
                        td { (prose(s, "description")) }
                    } }
                })
                .collect()
        })
        .unwrap_or_default();
    ui::table(&[col("Field"), col("Type"), col("Description")], &rows, html! { "No fields." })
}

fn operation(path: &str, method: &str, op: &Value) -> Markup {
    let params: Vec<Markup> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    html! { tr {
                        td { code { (text(p, "name")) } @if p.get("required") == Some(&Value::Bool(true)) { " *" } }
                        td { (text(p, "in")) }
                        td { (p.get("schema").map(type_name).unwrap_or_default()) }
                        td { (prose(p, "description")) }
                    } }
                })
                .collect()
        })
        .unwrap_or_default();
    let data = op.pointer("/responses/200/content/application~1json/schema/properties/data");
    let rows = data.and_then(|d| d.pointer("/properties/list/items")).or(data);
    let body = op.pointer("/requestBody/content/application~1json/schema");
    html! {
        section.card.apiop id=(text(op, "operationId")) {
            h2 { code { (method.to_uppercase()) " /adminapi/v2" (path) } }
            p { strong { (text(op, "summary")) } " — " (prose(op, "description")) }
            h3 { "Parameters" }
            (ui::table(&[col("Name"), col("In"), col("Type"), col("Description")], &params, html! { "None." }))
            @if let Some(b) = body { h3 { "JSON body" } (fields_table(b)) }
            @if let Some(r) = rows {
                h3 { @if data.and_then(|d| d.pointer("/properties/list")).is_some() { "Rows of data.list" } @else { "data" } }
                (fields_table(r))
            }
        }
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let doc = openapi::cached(&state);
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "post"] {
                if let Some(op) = item.get(method) {
                    ops.push((path.as_str(), method, op));
                }
            }
        }
    }
    let content = html! {
        p { (prose(&doc["info"], "description")) }
        p { "Send the key in the " code { "X-Api-Key" } " header. Errors come as "
            code { "{\"data\": [], \"error_code\": <HTTP status>, \"error_message\": \"…\"}" }
            ": 400 bad parameter, 401 missing, unknown or revoked key, 403 missing scope or panel, 404 unknown id, 429 rate limit (see Retry-After)." }
        p { a href=(openapi::PATH) { "openapi.json" } " · " a href="/settings/api-keys" { "API keys" } }
        nav.toc { ul { @for (path, method, op) in &ops {
            li { a href=(format!("#{}", text(op, "operationId"))) { code { (method.to_uppercase()) " " (path) } } " " (text(op, "summary")) }
        } } }
        @for (path, method, op) in &ops { (operation(path, method, op)) }
    };
    Ok(ui::page(&viewer, "Open API documentation", content))
}
