//! What each admin API operation is, as data: path, scope, parameters and the fields of its rows. The
//! same [`Op`] registers the route ([`Api::op`]) and describes it in the OpenAPI document, so the two
//! cannot drift apart.

use axum::handler::Handler;
use shared::auth::Scope;
use shared::{Access, AppState, Routes};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }
}

/// The JSON type of a parameter or field, as the OpenAPI document states it.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Int,
    /// A decimal number (JSON number).
    Num,
    Str,
    Bool,
    /// Perfect Panel's money object `{value, currency_code, formatted}`.
    Money,
    /// `"YYYY-MM-DD HH:MM:SS"` (UTC).
    DateTime,
    /// A comma separated list of integers (query parameters).
    IntList,
    /// `{"username": …}`.
    UserRef,
    /// A list of objects with these fields.
    List(&'static [Field]),
    /// A list of plain values of this kind.
    Array(&'static Kind),
    /// Decimal strings keyed by currency code: `{"USD": "12.50", "EUR": "3.00"}`.
    PerCurrency,
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub doc: &'static str,
}

pub const fn f(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field { name, kind, nullable: false, doc }
}

/// A field that may be `null`.
pub const fn n(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field { name, kind, nullable: true, doc }
}

#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `data: {count, list: [row]}` with offset paging.
    List(&'static [Field]),
    /// `data: row`.
    Object(&'static [Field]),
    /// A report: `data: {count, list: [row], …data}` with offset paging over its rows; `data` names
    /// what else the report's `.json` page puts in `data`.
    Report { rows: &'static [Field], data: &'static [Field] },
}

impl Shape {
    /// Answers with `list`, `count` and offset paging.
    pub fn is_paged(self) -> bool {
        !matches!(self, Shape::Object(_))
    }
}

#[derive(Debug)]
pub struct Op {
    pub verb: Verb,
    /// The full path, `/adminapi/v2/...`, in axum's `{id}` syntax.
    pub path: &'static str,
    pub scope: Scope,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// Query parameters besides `panel` (and, for lists, `limit` and `offset`).
    pub params: &'static [Field],
    /// JSON body fields of a POST.
    pub body: &'static [Field],
    pub response: Shape,
}

pub const BASE: &str = "/adminapi/v2";

/// Registers admin API routes through [`Routes`] (so the one guard checks the key) and remembers
/// each operation for the OpenAPI document.
pub struct Api {
    pub routes: Routes,
    pub ops: Vec<&'static Op>,
}

impl Api {
    pub fn new(state: &AppState) -> Api {
        Api { routes: Routes::new(state), ops: Vec::new() }
    }

    pub fn op<H, T>(mut self, op: &'static Op, handler: H) -> Api
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let access = Access::ApiKey(op.scope);
        self.routes = match op.verb {
            Verb::Get => self.routes.get(op.path, access, handler),
            Verb::Post => self.routes.post(op.path, access, handler),
        };
        self.ops.push(op);
        self
    }
}
