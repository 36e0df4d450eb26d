//! Sending one message to one channel: each kind's API shape, the generic webhook's signature, the
//! outbound client's rules (no redirects, private addresses only when allowed), a timeout.

use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use shared::crypto::SecretKey;
use shared::outbound;

use super::channels::{Channel, Kind};
use super::message::Message;

pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// The headers a generic webhook carries: the receiver recomputes the signature over
/// `"{timestamp}.{body}"` with its secret and refuses old timestamps (replays).
pub const TIMESTAMP_HEADER: &str = "x-panelops-timestamp";
pub const SIGNATURE_HEADER: &str = "x-panelops-signature";
pub const DELIVERY_HEADER: &str = "x-panelops-delivery";
pub const EVENT_HEADER: &str = "x-panelops-event";

/// HMAC-SHA256 (RFC 2104) of `message` under `key`, as lowercase hex.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    let outer = Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature header's value for a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes()))
}

/// What a failed send says, in words, whether trying again may help, and how long the service asked
/// to wait first (a 429's `retry_after` or `Retry-After`).
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub retry: bool,
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub fn final_(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retry: false, retry_after: None }
    }
    pub fn again(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retry: true, retry_after: None }
    }
}

/// The most characters a message may have on each service (Discord 2,000, Telegram 4,096); a longer
/// digest is cut.
fn max_chars(kind: Kind) -> usize {
    match kind {
        Kind::Discord => 1_990,
        Kind::Telegram => 4_000,
        Kind::Slack => 30_000,
        Kind::Webhook | Kind::Email => usize::MAX,
    }
}

/// How long a 429 asked to wait: Telegram's `parameters.retry_after`, or the `Retry-After` header.
fn retry_after(header: Option<&str>, body: &str) -> Option<Duration> {
    let from_body = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["parameters"]["retry_after"].as_u64());
    from_body.or_else(|| header.and_then(|h| h.trim().parse::<u64>().ok())).map(Duration::from_secs)
}

pub fn client(allow_private: bool, timeout: Duration) -> Result<reqwest::Client, SendError> {
    outbound::client_builder(allow_private)
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| SendError::final_(format!("cannot build the HTTP client: {e}")))
}

/// Sends `msg` to `channel` once; `timeout` bounds an email (the client carries its own).
pub async fn send(
    client: &reqwest::Client,
    key: &SecretKey,
    allow_private: bool,
    channel: &Channel,
    msg: &Message,
    now: i64,
    timeout: Duration,
) -> Result<(), SendError> {
    let target = channel.target(key).map_err(|e| SendError::final_(e.to_string()))?;
    if channel.kind == Kind::Email {
        return send_email(&target, allow_private, channel, msg, timeout).await;
    }
    let text = super::message::shorten(&msg.text, max_chars(channel.kind));
    let (url, body) = match channel.kind {
        Kind::Email => unreachable!("sent above"),
        Kind::Webhook => (target, serde_json::to_string(msg).unwrap_or_default()),
        Kind::Slack => (target, json!({ "text": text }).to_string()),
        Kind::Discord => {
            (target, json!({ "content": text, "allowed_mentions": { "parse": [] } }).to_string())
        }
        Kind::Telegram => {
            let base = channel.api_base.as_deref().unwrap_or(TELEGRAM_API).trim_end_matches('/');
            let body = json!({
                "chat_id": channel.chat_id.as_deref().unwrap_or(""),
                "text": text,
                "disable_web_page_preview": true,
            });
            (format!("{base}/bot{target}/sendMessage"), body.to_string())
        }
    };
    let parsed =
        url::Url::parse(&url).map_err(|_| SendError::final_("the channel's address is not a URL"))?;
    outbound::check_url(&parsed, allow_private).map_err(|e| SendError::final_(e.to_string()))?;
    let mut req = client.post(outbound::without_credentials(&url)).header("content-type", "application/json");
    if channel.kind == Kind::Webhook {
        let secret =
            channel.signing_secret(key).map_err(|e| SendError::final_(e.to_string()))?.unwrap_or_default();
        req = req
            .header(TIMESTAMP_HEADER, now.to_string())
            .header(SIGNATURE_HEADER, signature(&secret, now, &body))
            .header(DELIVERY_HEADER, msg.delivery_key())
            .header(EVENT_HEADER, msg.event.as_str());
    }
    let res = req.body(body).send().await.map_err(|e| {
        if let Some(r) = outbound::refusal(&e) {
            SendError::final_(r.to_string())
        } else if e.is_timeout() {
            SendError::again("no answer in time (timed out)")
        } else {
            // The URL may hold a token (Slack, Discord, Telegram): never in the message.
            SendError::again(format!("could not connect: {}", e.without_url()))
        }
    })?;
    let status = res.status();
    if status.is_redirection() {
        return Err(SendError::final_(format!(
            "answered with a redirect to {}; redirects are not followed",
            outbound::redirect_target(&res)
        )));
    }
    let asked = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = res.text().await.unwrap_or_default();
    let said = super::message::shorten(text.trim(), 200);
    if status.is_success() {
        // Telegram answers 200 with {"ok": false} for some refusals.
        if channel.kind == Kind::Telegram
            && serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["ok"] == json!(false))
        {
            return Err(SendError::final_(format!("Telegram refused: {said}")));
        }
        return Ok(());
    }
    let retry = status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408;
    let message = format!("HTTP {}: {said}", status.as_u16());
    let retry_after = (status.as_u16() == 429).then(|| retry_after(asked.as_deref(), &text)).flatten();
    Err(SendError { message, retry, retry_after })
}

/// An email over SMTP: `smtp://user:password@host:587?tls=required` speaks STARTTLS, `smtps://…:465`
/// implicit TLS (lettre, rustls). The server must be a public address unless private ones are allowed.
async fn send_email(
    url: &str,
    allow_private: bool,
    channel: &Channel,
    msg: &Message,
    timeout: Duration,
) -> Result<(), SendError> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    outbound::check_destination(url, allow_private).await.map_err(|e| SendError::final_(e.to_string()))?;
    let from = channel
        .mail_from
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|_| SendError::final_("the sender address is not valid"))?;
    let to = super::channels::mail_recipients(channel.mail_to.as_deref().unwrap_or(""))
        .ok_or_else(|| SendError::final_("a recipient address is not valid"))?;
    let subject = msg.text.lines().next().unwrap_or("panelops alert");
    let mut builder = lettre::Message::builder().from(from).subject(subject).header(ContentType::TEXT_PLAIN);
    for m in to {
        builder = builder.to(m);
    }
    let email = builder
        .body(msg.text.clone())
        .map_err(|e| SendError::final_(format!("cannot write the email: {e}")))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|_| SendError::final_("the SMTP URL cannot be read"))?
        .timeout(Some(timeout))
        .build();
    match transport.send(email).await {
        Ok(_) => Ok(()),
        // A permanent refusal (5xx: no such mailbox, authentication failed) will not change on retry.
        Err(e) if e.is_permanent() => Err(SendError::final_(format!("the mail server refused: {e}"))),
        Err(e) => Err(SendError::again(format!("the mail server did not take it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_says_how_long_to_wait() {
        let telegram = r#"{"ok":false,"error_code":429,"parameters":{"retry_after":3}}"#;
        assert_eq!(retry_after(None, telegram), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(Some("7"), "slow down"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(None, "slow down"), None);
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hmac_sha256_hex(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
