//! Margins and Providers over the admin API: the rows of `/reports/margins.json` and
//! `/reports/providers.json`, computed by the same functions, limited to the key's panels.

use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Map};

use panelops_reports::{margins, providers, service_health};
use shared::auth::Scope;
use shared::{AppResult, AppState};

use super::call::Call;
use super::op::{f, n, Field, Kind::*, Op, Shape, Verb};
use super::reports::{page, params, PROFILE, WINDOW};

const SUMS: &[Field] = &[
    f("currency", Str, "Money is never summed across currencies: one row per currency."),
    f("orders", Int, "Orders created in the window, canceled and failed left out."),
    f("revenue", Str, "Their charges, a decimal string."),
    f("cost", Str, "The provider's charges, a decimal string."),
    f("cost_unknown", Int, "Orders without a provider charge."),
    f("costed_revenue", Str, "Revenue of the orders whose cost is known."),
    f("margin", Str, "costed_revenue − cost."),
    n("margin_pct", Num, "margin ÷ costed_revenue × 100, two decimals; null without costed orders."),
];

const MARGIN_ROWS: &[Field] = &[
    f("panel_id", Int, ""),
    f("service_id", Int, ""),
    f("service_name", Str, ""),
    f("providers", Array(&Str), "Providers its orders went to in the window ('' = none named)."),
    n("rate", Str, "The catalogue's rate per 1000."),
    f("currency", Str, ""),
    f("orders", Int, ""),
    f("revenue", Str, ""),
    f("cost", Str, ""),
    f("cost_unknown", Int, ""),
    f("costed_revenue", Str, ""),
    f("margin", Str, ""),
    n("margin_pct", Num, ""),
    f("below_cost", Bool, "margin < 0: listed first."),
];

const GROUP: &[Field] = &[
    f("key", Str, "The panel id or the provider."),
    f("currency", Str, ""),
    f("orders", Int, ""),
    f("revenue", Str, ""),
    f("cost", Str, ""),
    f("cost_unknown", Int, ""),
    f("costed_revenue", Str, ""),
    f("margin", Str, ""),
    n("margin_pct", Num, ""),
];

pub static MARGINS: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/margins",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Margins",
    description: "Revenue, cost and margin per service and currency for orders created in the window, \
        services sold below cost first, as /reports/margins.json computes them; `groups` holds the sums per \
        panel, per provider and in total (each with every field of a row's money).",
    params: &[WINDOW],
    body: &[],
    response: Shape::Report {
        rows: MARGIN_ROWS,
        data: &[f(
            "groups",
            List(&[
                f("panels", List(GROUP), ""),
                f("providers", List(GROUP), ""),
                f("totals", List(SUMS), ""),
            ]),
            "",
        )],
    },
};

pub async fn margins(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let p = margins::pages::params_from(call.caller.panel, &params(&call))?;
    let conn = state.db.connect().await?;
    let m = margins::margins(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    let mut extra = Map::new();
    extra
        .insert("groups".into(), json!({ "panels": m.panels, "providers": m.providers, "totals": m.totals }));
    page(&call, &m.services, m.services.len() as i64, extra)
}

const PROVIDER_ROWS: &[Field] = &[
    f("provider", Str, "'' when the panel named none."),
    f("panels", Array(&Int), ""),
    f("services", Int, ""),
    f("orders", Int, "Orders created in the window."),
    f("failed", Int, "Of them, ended fail or error."),
    f("failed_pct", Num, ""),
    f("stuck", Int, "Open orders with remains past Stuck after, now."),
    f("finished", Int, "Service tracking's finished orders of the services it serves now."),
    f("slow", Int, ""),
    f("slow_pct", Num, ""),
    n("median_speed_pct", Num, "Median real speed as % of the promised speed."),
    f("revenue", PerCurrency, ""),
    f("cost", PerCurrency, ""),
    f("margin", PerCurrency, ""),
    f("score", Num, "100 − min(60, stuck × 5) − slow%."),
    f("status", Str, "healthy, warning or critical."),
    f("money", List(SUMS), "Every part of the money per currency."),
];

pub static PROVIDERS: Op = Op {
    verb: Verb::Get,
    path: "/adminapi/v2/reports/providers",
    scope: Scope::ReportsRead,
    tag: "Reports",
    summary: "Providers",
    description: "Orders, failed, stuck, slow, speed and money per provider across the key's panels, worst \
        score first, as /reports/providers.json computes them.",
    params: &[
        WINDOW,
        PROFILE,
        n("stuck_after_hours", Int, "Overrides the Service tracking profile."),
        n("slow_multiplier", Num, "Overrides the Service tracking profile."),
    ],
    body: &[],
    response: Shape::Report { rows: PROVIDER_ROWS, data: &[] },
};

pub async fn providers(State(state): State<AppState>, call: Call) -> AppResult<Response> {
    let conn = state.db.connect().await?;
    let (_, h, _) = service_health::pages::params_from(&conn, call.caller.panel, &params(&call)).await?;
    let p = providers::ProviderParams::new(h);
    let rows = providers::providers(&conn, &call.caller.scope, &p, shared::time::now()).await?;
    page(&call, &rows, rows.len() as i64, Map::new())
}
