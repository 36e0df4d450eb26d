//! A stand-in for an OpenAI-compatible model on loopback (`POST /v1/chat/completions`), for tests and
//! `serve --demo`: deterministic answers, token usage, and fault switches. No internet, no weights.
//!
//! What it answers depends on the system message:
//! - it demands the review JSON schema (`"verdict"`): it judges the staff reply with simple rules —
//!   very short or template replies are `bad`, replies that share no word with the customer's question
//!   are `mediocre`, the rest `good`;
//! - it asks to translate: the text, marked as translated into the language it names;
//! - anything else: a short deterministic summary of the conversation.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The model name the demo uses, so its verdicts are clearly labelled as the stand-in's.
pub const DEMO_MODEL: &str = "panelops-demo-model";

/// What the stand-in does instead of answering well.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LlmFault {
    #[default]
    None,
    /// Plain prose where JSON was asked for.
    Junk,
    /// Valid JSON whose verdict is not good/mediocre/bad.
    WrongVerdict,
    /// JSON without `reasoning` and `suggestion`.
    MissingFields,
    /// Answers only after [`LlmState::delay`].
    Timeout,
    /// HTTP 429 with an OpenAI error body.
    RateLimited,
    /// HTTP 500.
    ServerError,
}

pub struct LlmState {
    pub fault: LlmFault,
    /// How many more requests get the fault; None = every request until switched off.
    pub fault_times: Option<u32>,
    /// How long a `Timeout` answer waits.
    pub delay: Duration,
    /// The bearer key it accepts; None = any.
    pub api_key: Option<String>,
    /// Every request body received, oldest first.
    pub requests: Vec<Value>,
}

#[derive(Clone)]
pub struct LlmHandle {
    pub addr: SocketAddr,
    /// The base URL to configure (`…/v1`); the client appends `/chat/completions`.
    pub base_url: String,
    state: Arc<Mutex<LlmState>>,
}

fn lock(m: &Mutex<LlmState>) -> MutexGuard<'_, LlmState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LlmHandle {
    /// Serves on a free loopback port from its own thread and runtime, like a separate server.
    pub fn start(api_key: Option<&str>) -> std::io::Result<LlmHandle> {
        let state = Arc::new(Mutex::new(LlmState {
            fault: LlmFault::None,
            fault_times: None,
            delay: Duration::from_secs(5),
            api_key: api_key.map(str::to_string),
            requests: Vec::new(),
        }));
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(state.clone());
        let addr = crate::serve_on_own_thread(app)?;
        Ok(LlmHandle { addr, base_url: format!("http://{addr}/v1"), state })
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut LlmState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    /// Switches a fault on for the next `times` requests (None = until switched off).
    pub fn fault(&self, fault: LlmFault, times: Option<u32>) {
        self.with(|s| {
            s.fault = fault;
            s.fault_times = times;
        })
    }

    pub fn request_count(&self) -> usize {
        self.with(|s| s.requests.len())
    }

    pub fn last_request(&self) -> Option<Value> {
        self.with(|s| s.requests.last().cloned())
    }
}

/// The fault for this request, counting it down.
fn take_fault(s: &mut LlmState) -> LlmFault {
    match s.fault_times {
        Some(0) => LlmFault::None,
        Some(n) => {
            s.fault_times = Some(n - 1);
            s.fault
        }
        None => s.fault,
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": {"message": message, "type": "stand_in_error"}}))).into_response()
}

async fn complete(State(state): State<Arc<Mutex<LlmState>>>, headers: HeaderMap, body: String) -> Response {
    let parsed: Result<Value, _> = serde_json::from_str(&body);
    let (fault, delay, key) = {
        let mut s = lock(&state);
        s.requests.push(parsed.as_ref().cloned().unwrap_or(Value::String(body.clone())));
        if s.requests.len() > 10_000 {
            s.requests.remove(0);
        }
        (take_fault(&mut s), s.delay, s.api_key.clone())
    };
    if let Some(key) = key {
        let sent = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        if sent != format!("Bearer {key}") {
            return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided.");
        }
    }
    let Ok(req) = parsed else { return error(StatusCode::BAD_REQUEST, "The body is not JSON.") };
    match fault {
        LlmFault::RateLimited => return error(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached."),
        LlmFault::ServerError => return error(StatusCode::INTERNAL_SERVER_ERROR, "The server had an error."),
        LlmFault::Timeout => tokio::time::sleep(delay).await,
        _ => {}
    }
    let model = req.get("model").and_then(Value::as_str).unwrap_or("stand-in").to_string();
    let messages: Vec<(String, String)> = req
        .get("messages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| {
                    let part = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (part("role"), part("content"))
                })
                .collect()
        })
        .unwrap_or_default();
    if messages.is_empty() {
        return error(StatusCode::BAD_REQUEST, "messages is required.");
    }
    let system: String = messages
        .iter()
        .filter(|(r, _)| r == "system")
        .map(|(_, c)| c.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let user: String =
        messages.iter().filter(|(r, _)| r == "user").map(|(_, c)| c.as_str()).collect::<Vec<_>>().join("\n");
    let content = if system.contains("\"verdict\"") {
        match fault {
            LlmFault::Junk => "I think this reply is fine overall, nice work!".to_string(),
            LlmFault::WrongVerdict => {
                json!({"verdict": "excellent", "flags": [], "reasoning": "Great.", "suggestion": ""})
                    .to_string()
            }
            LlmFault::MissingFields => json!({"verdict": "good"}).to_string(),
            _ => judge(&user).to_string(),
        }
    } else if let Some(lang) = translate_target(&system) {
        let text = user.split_once("Staff draft to translate:").map(|(_, d)| d).unwrap_or(&user);
        format!("[{lang}] {}", text.trim())
    } else {
        let lines = user.lines().filter(|l| l.starts_with('[')).count();
        format!(
            "Summary (stand-in model): {lines} messages. The customer asks about: {}",
            user.lines().find(|l| l.starts_with("[Customer]")).unwrap_or("(no customer message)").trim()
        )
    };
    let prompt_tokens = messages.iter().map(|(_, c)| c.len()).sum::<usize>() / 4 + 1;
    let completion_tokens = content.len() / 4 + 1;
    Json(json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    }))
    .into_response()
}

/// "… into Turkish." → "Turkish".
fn translate_target(system: &str) -> Option<String> {
    if !system.to_lowercase().contains("translate") {
        return None;
    }
    if system.contains("customer's language") {
        return Some("customer's language".into());
    }
    let at = system.find(" into ")? + " into ".len();
    let lang: String = system[at..].chars().take_while(|c| c.is_alphanumeric() || *c == ' ').collect();
    Some(lang.trim().to_string()).filter(|l| !l.is_empty())
}

const TEMPLATES: &[&str] = &["done", "done.", "ok", "ok.", "checked", "checked.", "fixed", "fixed."];
const GREETINGS: &[&str] = &["hello", "hi", "thanks", "thank", "please", "regards"];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The review rules. The reply is the text after the last "Staff reply to judge" line; the customer's
/// words are the lines starting with "[Customer]".
fn judge(user: &str) -> Value {
    let reply = match user.rfind("Staff reply to judge") {
        Some(at) => user[at..].split_once('\n').map(|(_, r)| r).unwrap_or(""),
        None => user,
    };
    let reply_words = words(reply);
    let customer: Vec<String> = user
        .lines()
        .filter(|l| l.starts_with("[Customer]"))
        .flat_map(words)
        .filter(|w| w.len() >= 5 || (w.len() >= 6 && w.chars().all(|c| c.is_ascii_digit())))
        .filter(|w| !GREETINGS.contains(&w.as_str()) && w != "customer")
        .collect();
    if reply_words.len() < 5 || TEMPLATES.contains(&reply.trim().to_lowercase().as_str()) {
        return json!({
            "verdict": "bad",
            "flags": ["too_short", "template"],
            "reasoning": "The reply is a one-word template; it does not show the question was read.",
            "suggestion": "Greet the customer, name the order, say what was checked and what happens next."
        });
    }
    if !customer.is_empty() && !customer.iter().any(|w| reply_words.contains(w)) {
        return json!({
            "verdict": "mediocre",
            "flags": ["off_topic"],
            "reasoning": "The reply does not address what the customer asked about.",
            "suggestion": format!("Answer the customer's question about {} directly.", customer.join(", "))
        });
    }
    json!({"verdict": "good", "flags": [], "reasoning": "Polite, specific and answers the question.", "suggestion": ""})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_vary_the_verdict() {
        let ctx = "Ticket subject: Orders - Refill\n[Customer] Hi, my order 1000123 is not moving.\nStaff reply to judge (by Alice):\n";
        assert_eq!(judge(&format!("{ctx}Done.")).get("verdict"), Some(&json!("bad")));
        assert_eq!(
            judge(&format!("{ctx}Hello, we asked the provider to restart it, please wait a day."))
                .get("verdict"),
            Some(&json!("mediocre"))
        );
        assert_eq!(
            judge(&format!("{ctx}Hello, we checked order 1000123 and requested a refill today."))
                .get("verdict"),
            Some(&json!("good"))
        );
        assert_eq!(translate_target("Translate the text into Turkish. Keep"), Some("Turkish".into()));
    }
}
