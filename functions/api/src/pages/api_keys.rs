//! API keys (owners only): Name | Prefix | Scopes | Panels | Created | Last used | Status; create a key
//! (the token is shown once), revoke it. Only a SHA-256 of the token is stored.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use shared::auth::api_key::{self, ApiKey, NewKey};
use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Scope, Viewer};
use shared::base_path::Site;
use shared::ui::form::{field, text_input, Field, FormData, FormErrors};
use shared::ui::{self, col, csrf_input};
use shared::{AppError, AppResult, AppState};

use crate::audit_log::log;

pub const PATH: &str = "/settings/api-keys";

/// The admin API's address as clients outside reach it (this request's host and base path).
fn api_url(site: &Site) -> String {
    site.url("/adminapi/v2")
}

fn curl(api: &str, token: &str) -> String {
    format!("curl -H \"X-Api-Key: {token}\" \"{api}/orders?order_status=fail&limit=10\"")
}

fn panels_text(viewer: &Viewer, k: &ApiKey) -> String {
    if k.all_panels {
        "All panels".into()
    } else if k.panels.is_empty() {
        "none".into()
    } else {
        k.panels.iter().map(|p| viewer.panel_name(*p)).collect::<Vec<_>>().join(", ")
    }
}

fn table(viewer: &Viewer, keys: &[ApiKey]) -> Markup {
    let rows: Vec<Markup> = keys
        .iter()
        .map(|k| {
            let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
            html! { tr {
                td { (k.name) }
                td { code { (k.prefix) "…" } }
                td { (scopes.join(", ")) }
                td { (panels_text(viewer, k)) }
                td { (ui::time(k.created_at)) }
                td { (ui::opt_time(k.last_used_at)) }
                td { @if k.revoked_at.is_some() { (ui::status_label("revoked")) } @else { (ui::status_label("active")) } }
                td {
                    @if k.revoked_at.is_none() {
                        form method="post" action=(format!("{PATH}/{}/revoke", k.id)) {
                            (csrf_input(viewer))
                            button.secondary type="submit"
                                data-confirm=(format!("Revoke the key {}? Scripts using it stop working at once.", k.name)) {
                                "Revoke" }
                        }
                    }
                }
            } }
        })
        .collect();
    let cols = [
        col("Name"),
        col("Prefix"),
        col("Scopes"),
        col("Panels"),
        col("Created"),
        col("Last used"),
        col("Status"),
        col(""),
    ];
    ui::table(&cols, &rows, ui::empty_state("No API keys yet. Create one below for your scripts.", None))
}

fn create_form(viewer: &Viewer, data: &FormData, errors: &FormErrors) -> Markup {
    let chosen: Vec<&str> = data.all("scope");
    let panels = data.ids("panels");
    html! {
        form.card method="post" action=(PATH) {
            h2 { "Create API key" }
            @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
            (csrf_input(viewer))
            (field(Field { name: "name", label: "Name", help: Some("What uses it, e.g. \"Orders bot\"."), error: errors.get("name") },
                text_input("name", data.get("name").unwrap_or(""), true, "text")))
            div.field.invalid[errors.get("scope").is_some()] {
                label { "Scopes" }
                div.checks {
                    @for s in Scope::ALL {
                        label { input type="checkbox" name="scope" value=(s.as_str()) checked[chosen.contains(&s.as_str())]; " " (s.as_str()) }
                    }
                }
                @if let Some(e) = errors.get("scope") { p.error { (e) } }
                p.help { "tickets:write lets the key reply to tickets on the panels; everything else only reads." }
            }
            div.field.invalid[errors.get("panels").is_some()] {
                label { "Panels" }
                div.checks {
                    label { input type="checkbox" name="all_panels" value="1" checked[data.checked("all_panels")]; " All panels (also future ones)" }
                    @for p in &viewer.panels {
                        label { input type="checkbox" name="panels" value=(p.id) checked[panels.contains(&p.id)]; " " (p.name) }
                    }
                }
                @if let Some(e) = errors.get("panels") { p.error { (e) } }
            }
            div.actions { button type="submit" { "Create API key" } }
        }
    }
}

fn page(
    viewer: &Viewer,
    site: &str,
    keys: &[ApiKey],
    created: Option<(&str, &str)>,
    data: &FormData,
    errors: &FormErrors,
) -> Markup {
    let content = html! {
        @if let Some((name, token)) = created {
            section.card.created role="status" {
                h2 { "Key " (name) " created" }
                p { strong { "Copy the token now: it is not shown again." } " Only its hash is stored." }
                p { code #new-token { (token) } " " (ui::copy_button(token, "Copy")) }
                p { "Try it:" }
                pre { code { (curl(site, token)) } }
                p { (ui::copy_button(&curl(site, token), "Copy curl example")) }
            }
        }
        section.apiintro {
            p { code { (site) } " · " a href="/settings/api-keys/docs" { "Open API documentation" } }
            p { code { "X-Api-Key: <token>" } }
            pre { code { (curl(site, "$TOKEN")) } }
        }
        (table(viewer, keys))
        (create_form(viewer, data, errors))
    };
    ui::page(viewer, "API keys", content)
}

pub async fn list(State(state): State<AppState>, viewer: Viewer, site: Site) -> AppResult<Markup> {
    let keys = api_key::list(&state.db).await?;
    Ok(page(&viewer, &api_url(&site), &keys, None, &FormData::default(), &FormErrors::default()))
}

struct Valid {
    name: String,
    scopes: Vec<Scope>,
    all_panels: bool,
    panels: Vec<i64>,
}

fn validate(viewer: &Viewer, data: &FormData) -> Result<Valid, FormErrors> {
    let mut errors = FormErrors::default();
    let name = data.text("name");
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Enter a name of up to 80 characters.");
    }
    let mut scopes = Vec::new();
    for raw in data.all("scope") {
        match Scope::parse(raw) {
            Some(s) if !scopes.contains(&s) => scopes.push(s),
            Some(_) => {}
            None => errors.add("scope", format!("Unknown scope {raw:?}.")),
        }
    }
    if scopes.is_empty() {
        errors.add("scope", "Choose at least one scope.");
    }
    let all_panels = data.checked("all_panels");
    let panels = data.ids("panels");
    if !all_panels && panels.is_empty() {
        errors.add("panels", "Choose the panels this key may read, or All panels.");
    }
    if panels.iter().any(|p| !viewer.panels.iter().any(|r| r.id == *p)) {
        errors.add("panels", "One of the chosen panels does not exist.");
    }
    if errors.is_empty() {
        Ok(Valid { name, scopes, all_panels, panels })
    } else {
        Err(errors)
    }
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    site: Site,
    data: FormData,
) -> AppResult<Response> {
    let site = api_url(&site);
    let v = match validate(&viewer, &data) {
        Ok(v) => v,
        Err(errors) => {
            let keys = api_key::list(&state.db).await?;
            return Ok(ui::invalid(page(&viewer, &site, &keys, None, &data, &errors)));
        }
    };
    let new = NewKey {
        name: &v.name,
        scopes: &v.scopes,
        all_panels: v.all_panels,
        panels: &v.panels,
        created_by: viewer.id(),
    };
    let (id, token) = api_key::create(&state.db, &new).await?;
    let key = api_key::get(&state.db, id).await?.ok_or_else(|| AppError::internal("new key not found"))?;
    let scopes: Vec<&str> = v.scopes.iter().map(|s| s.as_str()).collect();
    let details = format!(
        "{} ({}…): scopes {}; panels {}",
        key.name,
        key.prefix,
        scopes.join(", "),
        panels_text(&viewer, &key)
    );
    log(&state, &viewer, &client, "api_key.created", &details, None).await?;
    let keys = api_key::list(&state.db).await?;
    // The token is in this answer only: no redirect (it would need storing), and no caching.
    let body =
        page(&viewer, &site, &keys, Some((&key.name, &token)), &FormData::default(), &FormErrors::default());
    let mut res = body.into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let key = api_key::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("That API key"))?;
    if !api_key::revoke(&state.db, id).await? {
        return Ok(flash_redirect(
            PATH,
            &format!("The key {} was already revoked.", key.name),
            client.secure,
        ));
    }
    let details = format!("{} ({}…)", key.name, key.prefix);
    log(&state, &viewer, &client, "api_key.revoked", &details, None).await?;
    Ok(flash_redirect(PATH, &format!("Key {} revoked: it no longer works.", key.name), client.secure))
}
