//! Reading and writing the console's cookies.

use axum::http::{header, HeaderMap};

pub const SESSION: &str = "po_session";
pub const LOGIN_CSRF: &str = "po_login_csrf";
pub const FLASH: &str = "po_flash";

pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value. `secure` is false only for plain-http localhost (see [`is_secure_context`]).
pub fn build(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn clear(name: &str, secure: bool) -> String {
    build(name, "", Some(0), secure)
}

/// Cookies are `Secure` everywhere except a plain-http request to a loopback host.
pub fn is_secure_context(headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    if forwarded_https {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    !matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn parse_and_flags() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; po_session=xyz; b=2"));
        assert_eq!(get(&h, SESSION).as_deref(), Some("xyz"));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(!is_secure_context(&h));
        h.insert(header::HOST, HeaderValue::from_static("console.example.com"));
        assert!(is_secure_context(&h));
        assert!(build("a", "b", None, true).contains("; Secure"));
    }
}
