//! What can go wrong talking to a panel, in words staff can act on.

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PpError {
    #[error("the panel rejected the API key (HTTP {0}); check the key in Panels")]
    KeyRejected(u16),
    /// With the panel's `Retry-After` seconds when it sent one.
    #[error("the panel is rate limiting us (HTTP 429)")]
    RateLimited(Option<u64>),
    #[error("the panel answered HTTP {0}")]
    Status(u16),
    #[error("the panel reported an error: {message} (error_code {code})")]
    Api { code: i64, message: String },
    #[error("the panel did not answer within {0} s")]
    Timeout(u64),
    #[error("could not reach the panel: {0}")]
    Connect(String),
    #[error("the panel's answer is not valid JSON: {0}")]
    Malformed(String),
    /// A 3xx: the key is not sent on to where it points.
    #[error("the panel answered with a redirect to {0}; its key is not sent there: if that is the panel's own address, enter it as the panel's address")]
    Redirected(String),
    #[error("the panel's address is refused: {0}")]
    Refused(String),
}

impl PpError {
    /// Worth another try after a pause: everything but a rejected key or a 4xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            PpError::KeyRejected(_) | PpError::Redirected(_) | PpError::Refused(_) => false,
            PpError::Status(s) => *s >= 500,
            _ => true,
        }
    }
}
