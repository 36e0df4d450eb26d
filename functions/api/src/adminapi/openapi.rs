//! The OpenAPI 3.1 document, built from the registered operations ([`super::op::Op`]): a route cannot
//! be served without appearing here.

use std::sync::OnceLock;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde_json::{json, Map, Value};

use shared::auth::Scope;
use shared::base_path::BasePath;
use shared::AppState;

use super::op::{Field, Kind, Op, Shape, BASE};

pub const PATH: &str = "/adminapi/v2/openapi.json";

fn kind_schema(k: Kind) -> Value {
    match k {
        Kind::Int => json!({"type": "integer"}),
        Kind::Num => json!({"type": "number"}),
        Kind::Str => json!({"type": "string"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Money => json!({"$ref": "#/components/schemas/Money"}),
        Kind::DateTime => json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$"}),
        Kind::IntList => json!({"type": "string", "pattern": "^\\d+(,\\d+)*$"}),
        Kind::UserRef => json!({"$ref": "#/components/schemas/UserRef"}),
        Kind::List(fields) => json!({"type": "array", "items": object_schema(fields)}),
        Kind::Array(k) => json!({"type": "array", "items": kind_schema(*k)}),
        Kind::PerCurrency => json!({"type": "object", "additionalProperties": {"type": "string"}}),
    }
}

fn field_schema(f: &Field) -> Value {
    let mut s = kind_schema(f.kind);
    if f.nullable {
        s = match s.get("type").and_then(Value::as_str) {
            Some(t) => {
                let mut s = s.clone();
                s["type"] = json!([t, "null"]);
                s
            }
            None => json!({"oneOf": [s, {"type": "null"}]}),
        };
    }
    if !f.doc.is_empty() {
        if let Value::Object(o) = &mut s {
            o.insert("description".into(), f.doc.into());
        }
    }
    s
}

fn object_schema(fields: &[Field]) -> Value {
    let props: Map<String, Value> = fields.iter().map(|f| (f.name.to_string(), field_schema(f))).collect();
    let required: Vec<&str> = fields.iter().filter(|f| !f.nullable).map(|f| f.name).collect();
    json!({"type": "object", "properties": props, "required": required})
}

fn param(name: &str, place: &str, schema: Value, doc: &str, required: bool) -> Value {
    json!({"name": name, "in": place, "required": required, "schema": schema, "description": doc})
}

fn operation(op: &Op) -> Value {
    let mut params = Vec::new();
    if op.path.contains("{id}") {
        params.push(param("id", "path", json!({"type": "integer"}), "The id on its panel.", true));
    }
    params.push(param(
        "panel",
        "query",
        json!({"type": "integer"}),
        "The console's panel id; default: every panel of the key.",
        false,
    ));
    let data = match op.response {
        Shape::List(rows) | Shape::Report { rows, .. } => {
            params.push(param(
                "limit",
                "query",
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                "Rows per page.",
                false,
            ));
            params.push(param(
                "offset",
                "query",
                json!({"type": "integer", "minimum": 0, "default": 0}),
                "Rows to skip.",
                false,
            ));
            let mut data = json!({"type": "object", "required": ["count", "list"], "properties": {
                "count": {"type": "integer", "description": "Rows matching, over all pages."},
                "list": {"type": "array", "items": object_schema(rows)}}});
            if let Shape::Report { data: extra, .. } = op.response {
                for f in extra {
                    data["properties"][f.name] = field_schema(f);
                }
            }
            data
        }
        Shape::Object(fields) => object_schema(fields),
    };
    for p in op.params {
        params.push(param(p.name, "query", kind_schema(p.kind), p.doc, false));
    }
    let mut envelope = json!({"type": "object", "required": ["data", "error_code", "error_message"], "properties": {
        "data": data, "error_code": {"type": "integer", "const": 0}, "error_message": {"type": "string"}}});
    if op.response.is_paged() {
        envelope["properties"]["pagination"] = json!({"$ref": "#/components/schemas/Pagination"});
    }
    let mut responses =
        json!({"200": {"description": "OK", "content": {"application/json": {"schema": envelope}}}});
    for (code, why) in [
        ("400", "A parameter is not valid."),
        ("401", "No key, an unknown key, or a revoked key."),
        ("403", "The key lacks the scope, or the panel is not one of the key's."),
        ("404", "No such row."),
        ("429", "The key's rate limit; see Retry-After."),
    ] {
        responses[code] = json!({"description": why, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    }
    let mut o = json!({
        "operationId": format!("{}{}", op.verb.as_str(), op.path.trim_start_matches(BASE).replace(['/', '{', '}', '-'], "_")),
        "tags": [op.tag],
        "summary": op.summary,
        "description": format!("{} Scope: `{}`.", op.description, op.scope),
        "x-scope": op.scope.as_str(),
        "security": [{"ApiKey": [op.scope.as_str()]}],
        "parameters": params,
        "responses": responses,
    });
    if !op.body.is_empty() {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": object_schema(op.body)}}});
    }
    o
}

/// The document for these operations.
pub fn document(ops: &[&'static Op]) -> Value {
    let mut paths = Map::new();
    for op in ops {
        let entry = paths.entry(op.path.trim_start_matches(BASE).to_string()).or_insert_with(|| json!({}));
        entry[op.verb.as_str()] = operation(op);
    }
    let scopes: Map<String, Value> =
        Scope::ALL.iter().map(|s| (s.as_str().to_string(), Value::from(format!("{s}")))).collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "panelops admin API",
            "version": "2",
            "description": "Perfect Panel's admin API v2 over the console's cache of all your panels: the same \
                envelope {data, pagination, error_code, error_message}, offset paging (limit ≤ 1000, offset, \
                pagination.next_page_href), query names and row fields, plus `panel` to pick a panel and \
                `panel_id` in every row. Money is {value, currency_code, formatted}; times are UTC text with a \
                `_timestamp` in Unix seconds."
        },
        "servers": [{"url": BASE}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "A key created on Settings → API keys.", "x-scopes": scopes}},
            "schemas": {
                "Money": {"type": "object", "required": ["value", "currency_code", "formatted"], "properties": {
                    "value": {"type": "string", "description": "Decimal string, five decimals."},
                    "currency_code": {"type": "string"}, "formatted": {"type": "string"}}},
                "UserRef": {"type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}},
                "Pagination": {"type": "object", "properties": {
                    "prev_page_href": {"type": "string"}, "next_page_href": {"type": "string", "description": "Empty on the last page."},
                    "offset": {"type": "integer"}, "limit": {"type": "integer"}}},
                "Error": {"type": "object", "required": ["error_code", "error_message"], "properties": {
                    "data": {"type": "array"}, "error_code": {"type": "integer", "description": "Non-zero: the HTTP status."},
                    "error_message": {"type": "string"}}}
            }
        }
    })
}

/// The document of this function's routes, built once per process.
pub fn cached(state: &AppState) -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| document(&super::api(state).ops))
}

/// Under a base path (`cargo lambda watch`, a stage) its `servers` entry carries it, like every link.
pub async fn serve(State(state): State<AppState>, base: Option<Extension<BasePath>>) -> Response {
    let doc = cached(&state);
    match base {
        None => Json(doc).into_response(),
        Some(Extension(base)) => {
            let mut doc = doc.clone();
            doc["servers"] = json!([{ "url": base.href(BASE) }]);
            Json(doc).into_response()
        }
    }
}
