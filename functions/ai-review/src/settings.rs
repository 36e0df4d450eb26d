//! AI settings, stored as `ai.*` rows of the `settings` table. The API key is stored encrypted
//! (`shared::crypto`) with its last 4 characters for display; it is never rendered back.

use std::collections::HashMap;

use shared::config::Config;
use shared::crypto::SecretKey;
use shared::db::{read_all, Db, Read, Reads, Stmt};
use shared::AppResult;

use crate::client::{ClientOptions, LlmClient, LlmError, DEFAULT_BASE_URL, DEFAULT_MODEL};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiSettings {
    pub base_url: String,
    pub api_key_enc: Option<String>,
    pub api_key_last4: Option<String>,
    pub model: String,
    pub translation_language: String,
    /// The reviewer's budget: replies and tokens per run, and tokens per UTC day over all runs (any of
    /// them 0 = reviewer off).
    pub max_replies_per_run: i64,
    pub max_tokens_per_run: i64,
    pub max_tokens_per_day: i64,
    /// The AI Analysis prompt; blank = the built-in default.
    pub analysis_prompt: String,
}

impl Default for AiSettings {
    fn default() -> Self {
        AiSettings {
            base_url: DEFAULT_BASE_URL.into(),
            api_key_enc: None,
            api_key_last4: None,
            model: DEFAULT_MODEL.into(),
            translation_language: "English".into(),
            max_replies_per_run: 20,
            max_tokens_per_run: 20_000,
            max_tokens_per_day: 200_000,
            analysis_prompt: String::new(),
        }
    }
}

/// The changes a settings form makes; `api_key`: None keeps, Some("") clears, Some(k) replaces.
#[derive(Clone, Debug)]
pub struct SettingsInput {
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub translation_language: String,
    pub max_replies_per_run: i64,
    pub max_tokens_per_run: i64,
    pub max_tokens_per_day: i64,
    pub analysis_prompt: String,
}

pub async fn load(db: &Db) -> AppResult<AiSettings> {
    Ok(from_pairs(read_all(&db.connect().await?, read).await?))
}

/// The stored AI settings (key, value), to read along with a page's other reads.
pub fn read(reads: &mut Reads) -> Read<(String, String)> {
    reads.add(Stmt::new("SELECT key, value FROM settings WHERE key LIKE 'ai.%'", ()), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// The settings from their stored pairs; defaults for what is not stored.
pub fn from_pairs(pairs: Vec<(String, String)>) -> AiSettings {
    let map: HashMap<String, String> = pairs.into_iter().collect();
    let d = AiSettings::default();
    let text =
        |k: &str, dflt: &str| map.get(k).cloned().filter(|v| !v.is_empty()).unwrap_or(dflt.to_string());
    let num = |k: &str, dflt: i64| map.get(k).and_then(|v| v.parse().ok()).unwrap_or(dflt);
    AiSettings {
        // Saved before credentials were taken out of the address: never shown, logged or sent.
        base_url: shared::outbound::without_credentials(&text("ai.base_url", &d.base_url)),
        api_key_enc: map.get("ai.api_key_enc").cloned().filter(|v| !v.is_empty()),
        api_key_last4: map.get("ai.api_key_last4").cloned().filter(|v| !v.is_empty()),
        model: text("ai.model", &d.model),
        translation_language: text("ai.translation_language", &d.translation_language),
        max_replies_per_run: num("ai.max_replies_per_run", d.max_replies_per_run),
        max_tokens_per_run: num("ai.max_tokens_per_run", d.max_tokens_per_run),
        max_tokens_per_day: num("ai.max_tokens_per_day", d.max_tokens_per_day),
        analysis_prompt: map.get("ai.analysis_prompt").cloned().unwrap_or_default(),
    }
}

fn last4(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

pub async fn save(db: &Db, secret: &SecretKey, input: &SettingsInput) -> AppResult<()> {
    let mut pairs: Vec<(&str, String)> = vec![
        ("ai.base_url", input.base_url.clone()),
        ("ai.model", input.model.clone()),
        ("ai.translation_language", input.translation_language.clone()),
        ("ai.max_replies_per_run", input.max_replies_per_run.to_string()),
        ("ai.max_tokens_per_run", input.max_tokens_per_run.to_string()),
        ("ai.max_tokens_per_day", input.max_tokens_per_day.to_string()),
        ("ai.analysis_prompt", input.analysis_prompt.clone()),
    ];
    match input.api_key.as_deref() {
        None => {}
        Some("") => {
            pairs.push(("ai.api_key_enc", String::new()));
            pairs.push(("ai.api_key_last4", String::new()));
        }
        Some(k) => {
            pairs.push(("ai.api_key_enc", secret.encrypt(k)?));
            pairs.push(("ai.api_key_last4", last4(k)));
        }
    }
    let conn = db.connect().await?;
    let tx = shared::db::write_tx(&conn).await?;
    for (k, v) in pairs {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            libsql::params![k, v],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

impl AiSettings {
    /// A client for these settings, reaching private addresses only if `config` allows them. A
    /// loopback provider (a local Ollama, the demo stand-in) may go without a key; anything else
    /// needs one.
    pub fn client(&self, config: &Config, opts: ClientOptions) -> Result<LlmClient, LlmError> {
        let opts = ClientOptions { allow_private: config.allow_private_urls, ..opts };
        let key = match &self.api_key_enc {
            Some(enc) => Some(config.secret_key.decrypt(enc).map_err(|_| LlmError::KeyUnreadable)?),
            None => None,
        };
        let local = url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]"))
            .unwrap_or(false);
        if key.is_none() && !local {
            return Err(LlmError::NotConfigured);
        }
        LlmClient::new(&self.base_url, key, opts)
    }

    pub fn is_configured(&self) -> bool {
        self.api_key_enc.is_some()
            || url::Url::parse(&self.base_url)
                .ok()
                .and_then(|u| u.host_str().map(|h| h == "127.0.0.1" || h == "localhost"))
                .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn last_four() {
        assert_eq!(super::last4("sk-abcdef1234"), "1234");
        assert_eq!(super::last4("ab"), "ab");
    }
}
