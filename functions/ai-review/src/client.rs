//! An OpenAI-compatible chat-completions client: works with OpenAI, OpenRouter or a local Ollama/vLLM
//! by base URL alone. Retries 429 and 5xx with backoff; a timeout or a bad answer is the caller's to
//! retry (the reviewer retries once, then records a failure).

use std::time::Duration;

use serde_json::{json, Value};
use shared::outbound;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Attempts for 429/5xx answers (1 = no retry).
    pub attempts: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Whether the provider may be on a private or local address; `AiSettings::client` sets it from
    /// the configuration (see `shared::outbound`).
    pub allow_private: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(45),
            attempts: 3,
            backoff: Duration::from_millis(800),
            max_backoff: Duration::from_secs(10),
            allow_private: false,
        }
    }
}

/// One chat request: a system message, a user message, and whether a JSON object is demanded.
#[derive(Clone, Debug)]
pub struct Chat<'a> {
    pub model: &'a str,
    pub system: &'a str,
    pub user: &'a str,
    pub json: bool,
    pub max_tokens: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

impl Usage {
    pub fn total(&self) -> i64 {
        self.prompt_tokens + self.completion_tokens
    }
}

#[derive(Clone, Debug)]
pub struct Answer {
    pub content: String,
    pub model: String,
    pub usage: Usage,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no AI provider is configured: set a provider URL and API key in AI settings")]
    NotConfigured,
    #[error(
        "the saved AI API key cannot be read with this PANELOPS_SECRET_KEY (it is not the key it was saved \
         with): set that key again, or enter the API key again in AI settings"
    )]
    KeyUnreadable,
    #[error("the AI provider did not answer in time")]
    Timeout,
    #[error("the AI provider could not be reached: {0}")]
    Network(String),
    #[error("the AI provider answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the AI provider's answer could not be read: {0}")]
    BadAnswer(String),
    /// A 3xx: the key is not sent on to where it points.
    #[error("the AI provider answered with a redirect to {0}; the key is not sent there: if that is the provider's address, enter it as the provider URL")]
    Redirected(String),
    #[error("the AI provider's address is refused: {0}")]
    Refused(String),
}

impl LlmError {
    /// A fault of the AI settings, not of one call: every call would meet it.
    pub fn is_setting(&self) -> bool {
        matches!(
            self,
            LlmError::NotConfigured
                | LlmError::KeyUnreadable
                | LlmError::Redirected(_)
                | LlmError::Refused(_)
        )
    }
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    base_url: String,
    api_key: Option<String>,
    opts: ClientOptions,
}

/// The request body in the chat-completions format.
pub fn body(chat: &Chat<'_>) -> Value {
    let mut b = json!({
        "model": chat.model,
        "messages": [
            {"role": "system", "content": chat.system},
            {"role": "user", "content": chat.user},
        ],
        "temperature": 0,
        "max_tokens": chat.max_tokens,
    });
    if chat.json {
        b["response_format"] = json!({"type": "json_object"});
    }
    b
}

impl LlmClient {
    pub fn new(base_url: &str, api_key: Option<String>, opts: ClientOptions) -> Result<Self, LlmError> {
        // The address is fixed for the client's life: a written-out one (never resolved) is checked here.
        if let Ok(url) = url::Url::parse(base_url) {
            outbound::check_url(&url, opts.allow_private).map_err(|r| LlmError::Refused(r.to_string()))?;
        }
        let http = outbound::client_builder(opts.allow_private)
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LlmError::Network(e.to_string()))?;
        Ok(LlmClient { http, base_url: base_url.trim_end_matches('/').to_string(), api_key, opts })
    }

    pub async fn complete(&self, chat: &Chat<'_>) -> Result<Answer, LlmError> {
        let url = format!("{}/chat/completions", self.base_url);
        let payload = body(chat);
        let mut wait = self.opts.backoff;
        let mut attempt = 1;
        loop {
            let mut req = self.http.post(&url).json(&payload);
            if let Some(k) = &self.api_key {
                req = req.bearer_auth(k);
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    return Err(match outbound::refusal(&e) {
                        Some(refused) => LlmError::Refused(refused.to_string()),
                        None if e.is_timeout() => LlmError::Timeout,
                        None => LlmError::Network(e.without_url().to_string()),
                    })
                }
            };
            let status = res.status();
            if status.is_redirection() {
                return Err(LlmError::Redirected(outbound::redirect_target(&res)));
            }
            let retry_after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = match res.text().await {
                Ok(t) => t,
                Err(e) if e.is_timeout() => return Err(LlmError::Timeout),
                Err(e) => return Err(LlmError::Network(e.without_url().to_string())),
            };
            let retryable = status.as_u16() == 429 || status.is_server_error();
            if retryable && attempt < self.opts.attempts {
                tokio::time::sleep(retry_after.unwrap_or(wait).min(self.opts.max_backoff)).await;
                wait = (wait * 2).min(self.opts.max_backoff);
                attempt += 1;
                continue;
            }
            if !status.is_success() {
                return Err(LlmError::Status { status: status.as_u16(), message: error_message(&text) });
            }
            return parse_answer(&text, chat.model);
        }
    }
}

/// The provider's own error message (OpenAI: `{"error":{"message":…}}`), cut short.
fn error_message(text: &str) -> String {
    let v: Option<Value> = serde_json::from_str(text).ok();
    let msg = v
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("error")).or_else(|| v.get("message")))
        .and_then(Value::as_str)
        .unwrap_or(text);
    msg.chars().take(200).collect()
}

fn parse_answer(text: &str, asked_model: &str) -> Result<Answer, LlmError> {
    let v: Value = serde_json::from_str(text).map_err(|_| LlmError::BadAnswer("not JSON".into()))?;
    let content = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| LlmError::BadAnswer("no choices[0].message.content".into()))?
        .to_string();
    let tok = |k: &str| v.pointer(&format!("/usage/{k}")).and_then(Value::as_i64).unwrap_or(0);
    Ok(Answer {
        content,
        model: v.get("model").and_then(Value::as_str).unwrap_or(asked_model).to_string(),
        usage: Usage { prompt_tokens: tok("prompt_tokens"), completion_tokens: tok("completion_tokens") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_chat_completions() {
        let b = body(&Chat { model: "m", system: "s", user: "u", json: true, max_tokens: 10 });
        assert_eq!(b["model"], "m");
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "u");
        assert_eq!(b["response_format"]["type"], "json_object");
        let plain = body(&Chat { model: "m", system: "s", user: "u", json: false, max_tokens: 10 });
        assert!(plain.get("response_format").is_none());
    }

    #[test]
    fn answers_and_errors() {
        let a = parse_answer(
            r#"{"model":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#,
            "m",
        )
        .unwrap();
        assert_eq!((a.content.as_str(), a.usage.total()), ("hi", 5));
        assert!(parse_answer("nope", "m").is_err());
        assert_eq!(error_message(r#"{"error":{"message":"bad key"}}"#), "bad key");
    }
}
