//! Settings → AI settings: provider URL, API key (owner only; encrypted, shown as last 4, `-` clears),
//! default model, Translation language, the reviewer's budget, and the AI Analysis prompt.

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use shared::audit::Changes;
use shared::auth::guard::flash_redirect;
use shared::auth::{ClientInfo, Role, Viewer};
use shared::ui::form::{field, secret_input, secret_value, text_input, Field, FormData, FormErrors};
use shared::ui::{self, csrf_input};
use shared::{AppResult, AppState};

use crate::job::tokens_today;
use crate::settings::{self, AiSettings, SettingsInput};

fn form(viewer: &Viewer, s: &AiSettings, data: &FormData, errors: &FormErrors, used: i64) -> Markup {
    let value = |name: &str, saved: String| data.get(name).map(str::to_string).unwrap_or(saved);
    let key_help = match &s.api_key_last4 {
        Some(l4) => format!("Saved: •••• {l4}. Leave blank to keep it; type a single - to clear it."),
        None => "Not set. Stored encrypted; never shown again after saving. A provider on this machine (Ollama) needs none."
            .into(),
    };
    let owner = viewer.is(Role::Owner);
    html! {
        @if let Some(e) = errors.get("form") { p.error role="alert" { (e) } }
        form.card method="post" action="/ai/settings" {
            (csrf_input(viewer))
            h2 { "Provider" }
            (field(Field { name: "base_url", label: "Provider URL", help: Some("An OpenAI-compatible endpoint: https://api.openai.com/v1 (default), \
                https://openrouter.ai/api/v1, or a local http://127.0.0.1:11434/v1. A user name or password in the address is dropped: the key goes \
                in API key."), error: errors.get("base_url") },
                text_input("base_url", &value("base_url", s.base_url.clone()), false, "text")))
            @if owner {
                (field(Field { name: "api_key", label: "API key", help: Some(&key_help), error: errors.get("api_key") },
                    secret_input("api_key")))
            } @else {
                div.field {
                    label { "API key" }
                    p { (ui::secret_hint(s.api_key_last4.as_deref())) " " span.muted { "Only an owner can change the AI key." } }
                }
            }
            (field(Field { name: "model", label: "Default model", help: Some("Used by the reviewer and by prompts without their own model, e.g. \
                gpt-4o-mini."), error: errors.get("model") },
                text_input("model", &value("model", s.model.clone()), false, "text")))
            (field(Field { name: "translation_language", label: "Translation Language", help: Some("Ticket conversations are translated into this \
                language."), error: errors.get("translation_language") },
                text_input("translation_language", &value("translation_language", s.translation_language.clone()), false, "text")))
            h2 { "Reviewer budget" }
            (field(Field { name: "max_replies_per_run", label: "Max replies per run", help: Some("Staff replies the scheduled reviewer sends to the \
                model in one run (every 5 minutes). 0 turns the reviewer off."), error: errors.get("max_replies_per_run") },
                text_input("max_replies_per_run", &value("max_replies_per_run", s.max_replies_per_run.to_string()), false, "number")))
            (field(Field { name: "max_tokens_per_run", label: "Max tokens per run", help: Some("A run ends before its calls could go over this; the \
                rest waits for the next run."), error: errors.get("max_tokens_per_run") },
                text_input("max_tokens_per_run", &value("max_tokens_per_run", s.max_tokens_per_run.to_string()), false, "number")))
            (field(Field { name: "max_tokens_per_day", label: "Max tokens per day", help: Some(&format!("The reviewer stops for the day (UTC) before \
                going over this. Used today: {used} tokens.")), error: errors.get("max_tokens_per_day") },
                text_input("max_tokens_per_day", &value("max_tokens_per_day", s.max_tokens_per_day.to_string()), false, "number")))
            h2 { "AI Analysis Prompt" }
            div.field.invalid[errors.get("analysis_prompt").is_some()] {
                label for="analysis_prompt" { "AI Analysis Prompt" }
                textarea #analysis_prompt name="analysis_prompt" rows="8" cols="80" {
                    (value("analysis_prompt", s.analysis_prompt.clone()))
                }
                @if let Some(e) = errors.get("analysis_prompt") { p.error { (e) } }
                p.help { "Placeholders: {{subject}}, {{customer}}, {{status}}, {{conversation}}. Leave blank to use the built-in default." }
            }
            div.actions {
                button type="submit" { "Save AI settings" }
                a href="/ai/quality-prompt" { "AI Quality Analyzer prompt" }
                a href="/ai/prompts" { "AI prompts" }
            }
        }
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> AppResult<Markup> {
    let s = settings::load(&state.db).await?;
    let used = tokens_today(&state.db).await?;
    Ok(ui::page(
        &viewer,
        "AI settings",
        form(&viewer, &s, &FormData::default(), &FormErrors::default(), used),
    ))
}

fn number(data: &FormData, name: &'static str, max: i64, errors: &mut FormErrors) -> i64 {
    match data.text(name).parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => n,
        _ => {
            errors.add(name, format!("Enter a whole number from 0 to {max}."));
            0
        }
    }
}

async fn validate(
    data: &FormData,
    owner: bool,
    old_base_url: &str,
    allow_private: bool,
) -> Result<SettingsInput, FormErrors> {
    let mut errors = FormErrors::default();
    // A user name or password in the address would be shown here, logged and sent as Basic auth: the
    // key has its own field.
    let mut base_url = shared::outbound::without_credentials(data.text("base_url").trim_end_matches('/'));
    if base_url.is_empty() {
        base_url = crate::client::DEFAULT_BASE_URL.into();
    }
    match url::Url::parse(&base_url) {
        _ if base_url.len() > 300 => errors.add("base_url", "Enter an address of up to 300 characters."),
        Ok(u) if u.scheme() == "https" || (u.scheme() == "http" && is_loopback(&u)) => {
            if let Err(refused) = shared::outbound::check_destination(&base_url, allow_private).await {
                errors.add("base_url", refused.to_string());
            }
        }
        _ => errors.add(
            "base_url",
            "Enter an https:// address (http:// only for a provider on this machine, e.g. http://127.0.0.1:11434/v1).",
        ),
    }
    if !owner && base_url != old_base_url {
        // The saved key goes to this address with every call: moving it is the key owner's decision.
        errors.add("base_url", "Only an owner can change the provider address: the AI key is sent there.");
    }
    let model = data.text("model");
    let model = if model.is_empty() { crate::client::DEFAULT_MODEL.to_string() } else { model };
    if model.chars().count() > 100 || model.contains(char::is_whitespace) {
        errors.add("model", "Enter a model name without spaces, up to 100 characters.");
    }
    let lang = data.text("translation_language");
    let lang = if lang.is_empty() { "English".to_string() } else { lang };
    if lang.chars().count() > 40 {
        errors.add("translation_language", "Enter a language name of up to 40 characters.");
    }
    let max_replies_per_run = number(data, "max_replies_per_run", 1000, &mut errors);
    let max_tokens_per_run = number(data, "max_tokens_per_run", 10_000_000, &mut errors);
    let max_tokens_per_day = number(data, "max_tokens_per_day", 100_000_000, &mut errors);
    let analysis_prompt = data.get("analysis_prompt").unwrap_or("").trim().to_string();
    if analysis_prompt.chars().count() > 8000 {
        errors.add("analysis_prompt", "Keep the prompt under 8000 characters.");
    }
    let api_key = secret_value(data.get("api_key"));
    if api_key.is_some() && !owner {
        errors.add("form", "Only an owner can change the AI key.");
    }
    if api_key.as_ref().is_some_and(|k| k.len() > 512 || k.chars().any(char::is_whitespace)) {
        errors.add("api_key", "A key has no spaces and is at most 512 characters.");
    }
    if errors.is_empty() {
        Ok(SettingsInput {
            base_url,
            api_key,
            model,
            translation_language: lang,
            max_replies_per_run,
            max_tokens_per_run,
            max_tokens_per_day,
            analysis_prompt,
        })
    } else {
        Err(errors)
    }
}

fn is_loopback(u: &url::Url) -> bool {
    matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// What changed, in words, for the activity log (the key by name only).
fn changes(old: &AiSettings, new: &SettingsInput) -> String {
    let mut c = Changes::default();
    c.plain("provider", &old.base_url, &new.base_url);
    c.secret("API key", new.api_key.as_deref());
    c.plain("model", &old.model, &new.model);
    c.plain("translation language", &old.translation_language, &new.translation_language);
    if (old.max_replies_per_run, old.max_tokens_per_run, old.max_tokens_per_day)
        != (new.max_replies_per_run, new.max_tokens_per_run, new.max_tokens_per_day)
    {
        c.say(format!(
            "budget {} replies/run, {} tokens/run, {} tokens/day",
            new.max_replies_per_run, new.max_tokens_per_run, new.max_tokens_per_day
        ));
    }
    if old.analysis_prompt != new.analysis_prompt {
        c.say("analysis prompt edited");
    }
    c.text()
}

pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientInfo,
    data: FormData,
) -> AppResult<Response> {
    let old = settings::load(&state.db).await?;
    let input =
        match validate(&data, viewer.is(Role::Owner), &old.base_url, state.config.allow_private_urls).await {
            Ok(i) => i,
            Err(errors) => {
                // Never echo a typed key back into the page, nor credentials typed into the address.
                let safe = FormData(
                    data.0
                        .iter()
                        .filter(|(k, _)| k != "api_key")
                        .map(|(k, v)| match k.as_str() {
                            "base_url" => (k.clone(), shared::outbound::without_credentials(v)),
                            _ => (k.clone(), v.clone()),
                        })
                        .collect(),
                );
                let used = tokens_today(&state.db).await?;
                return Ok(ui::invalid(ui::page(
                    &viewer,
                    "AI settings",
                    form(&viewer, &old, &safe, &errors, used),
                )));
            }
        };
    settings::save(&state.db, &state.config.secret_key, &input).await?;
    crate::log(&state, &viewer, &client, "ai.settings", &changes(&old, &input), None).await?;
    Ok(flash_redirect("/ai/settings", "AI settings saved.", client.secure))
}
