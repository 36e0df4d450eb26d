//! One order write to a panel, made once: its answer read as done, refused (with the panel's
//! message), not offered (404 or "unknown method": nothing was done, so the next form may be tried)
//! or unknown (no answer: it may have been applied).

use shared::pp::{AdminClient, PpError};

use super::kind::{ActionKind, Params};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Refused(String),
    NotOffered(String),
    Unknown(String),
    /// HTTP 429: the panel turned the request away unread; the order waits for the next slice.
    Throttled,
}

/// Whether an error says the panel lacks this endpoint (nothing was applied).
fn lacks_endpoint(e: &PpError) -> bool {
    match e {
        PpError::Status(404) | PpError::Api { code: 404, .. } => true,
        PpError::Api { message, .. } => {
            let m = message.to_ascii_lowercase();
            m.contains("unknown method") || m.contains("method not found")
        }
        _ => false,
    }
}

/// Sends `kind` for `order_id` through the first form the panel offers; `lacking` holds the forms
/// known not to be offered and gains those found so (the caller remembers them for the panel).
pub async fn send(
    client: &AdminClient,
    kind: ActionKind,
    params: &Params,
    order_id: i64,
    lacking: &mut Vec<String>,
) -> (Outcome, Vec<String>) {
    let mut found = Vec::new();
    let body = kind.body(order_id, params);
    for form in kind.forms() {
        if lacking.iter().any(|l| l == form) {
            continue;
        }
        let path = form.replace("{id}", &order_id.to_string());
        match client.post(&path, &body).await {
            Ok(_) => return (Outcome::Done, found),
            Err(e) if lacks_endpoint(&e) => {
                lacking.push(form.to_string());
                found.push(form.to_string());
            }
            Err(PpError::RateLimited(_)) => return (Outcome::Throttled, found),
            Err(PpError::Api { message, code }) => {
                return (Outcome::Refused(format!("{message} (error_code {code})")), found)
            }
            Err(PpError::Status(s)) if s < 500 => {
                return (Outcome::Refused(format!("the panel answered HTTP {s}")), found)
            }
            Err(e @ (PpError::KeyRejected(_) | PpError::Redirected(_) | PpError::Refused(_))) => {
                return (Outcome::Refused(e.to_string()), found)
            }
            // No answer, or one we cannot read: the panel may have applied it.
            Err(e) => return (Outcome::Unknown(format!("{e}: it may have been applied")), found),
        }
    }
    let tried: Vec<String> = kind.forms().iter().map(|f| format!("POST {f}")).collect();
    (Outcome::NotOffered(format!("this panel does not offer {}", tried.join(" or "))), found)
}
