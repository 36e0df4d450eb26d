//! Calls that carry a key out of the console (panels, rivals, the AI provider) are made by clients
//! built here. None follows a redirect: a 3xx is the caller's error, naming where it pointed, so a key
//! is never sent on to an address nobody typed. Unless the configuration allows private addresses
//! (`PANELOPS_ALLOW_PRIVATE_URLS`: the demo, tests, a provider on this machine), they reach public
//! addresses only, checked after resolving the name for every connection, so an admin cannot point
//! the console at an internal service (cloud metadata, the database, the console itself).

mod address;
mod resolver;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect::Policy;
use url::{Host, Url};

pub use address::is_public;

/// A destination refused for being private or local.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} a private or local address: only public addresses are called (the operator can allow others with PANELOPS_ALLOW_PRIVATE_URLS)", describe(.host, .ip))]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
}

fn describe(host: &str, ip: &IpAddr) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok_and(|h| h == *ip) {
        format!("{ip} is")
    } else {
        format!("{host} is {ip},")
    }
}

/// The base of every outbound client: no redirects followed, and unless `allow_private`, names
/// resolved to public addresses only. Requests must still pass [`check_url`]: a literal address in
/// the URL is never resolved.
pub fn client_builder(allow_private: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().redirect(Policy::none());
    if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(resolver::PublicOnly))
    }
}

/// Refuses a URL whose host is a private or local address written out (`127.0.0.1`, `[::1]`, and
/// what the URL parser reads as one: `2130706433`, `0x7f000001`).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(Refused { host: ip.to_string(), ip })
    }
}

/// Checks an address typed into a form, as far as can be known now: a written-out address, or what
/// the name resolves to. A name that does not resolve passes: each connection checks it again.
pub async fn check_destination(url: &str, allow_private: bool) -> Result<(), Refused> {
    let Ok(url) = Url::parse(url) else { return Ok(()) };
    check_url(&url, allow_private)?;
    let (false, Some(Host::Domain(name))) = (allow_private, url.host()) else { return Ok(()) };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((name, port));
    let Ok(Ok(found)) = tokio::time::timeout(Duration::from_secs(3), lookup).await else { return Ok(()) };
    for addr in found {
        if !is_public(addr.ip()) {
            return Err(Refused { host: name.to_string(), ip: addr.ip() });
        }
    }
    Ok(())
}

/// The refusal inside a client error, if that is what stopped the request (reqwest's own text would
/// only say "error sending request").
pub fn refusal(e: &reqwest::Error) -> Option<Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(r) = err.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        source = err.source();
    }
    None
}

/// `url` without the user name and password it may carry (reqwest would send them as Basic auth).
pub fn without_credentials(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            // Both fail only for URLs that cannot hold credentials, which then have none to remove.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.as_str().trim_end_matches('/').to_string()
        }
        _ => url.to_string(),
    }
}

/// Where a redirect answer points, for an error message: its `Location` read against the request's
/// address, without credentials, query or fragment (they may hold tokens), cut to 200 characters.
pub fn redirect_target(res: &reqwest::Response) -> String {
    let Some(location) = res.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return "an address it did not give".into();
    };
    match res.url().join(location) {
        Ok(mut url) => {
            // Both fail only for URLs that cannot hold credentials, which then have none to remove.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.as_str().chars().take(200).collect()
        }
        Err(_) => "an unreadable address".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_out_private_addresses_are_refused() {
        for bad in [
            "http://127.0.0.1:8080/x",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00:ec2::254]/",
            "http://0.0.0.0/",
            "https://10.1.2.3/",
        ] {
            let url = Url::parse(bad).unwrap();
            let err = check_url(&url, false).unwrap_err();
            assert!(err.to_string().contains("private or local address"), "{bad}: {err}");
            assert!(check_url(&url, true).is_ok(), "{bad} allowed when configured");
        }
        assert!(check_url(&Url::parse("https://8.8.8.8/").unwrap(), false).is_ok());
        assert!(check_url(&Url::parse("https://panel.example.com/").unwrap(), false).is_ok());
        let err = check_url(&Url::parse("http://2130706433/").unwrap(), false).unwrap_err();
        assert!(err.to_string().starts_with("127.0.0.1 is a private"), "{err}");
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_before_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/");
        let err = check_destination(&url, false).await.unwrap_err();
        assert_eq!(err.host, "localhost");
        assert!(err.to_string().starts_with("localhost is "), "{err}");
        assert!(check_destination(&url, true).await.is_ok());
        // At connection time, through the client's resolver.
        let client = client_builder(false).build().unwrap();
        let err = client.get(&url).send().await.unwrap_err();
        let refused = refusal(&err).expect("refused by the resolver");
        assert!(!is_public(refused.ip));
        assert_eq!(
            listener.accept().map_err(|e| e.kind()).err(),
            Some(std::io::ErrorKind::WouldBlock),
            "nothing connected"
        );
    }

    #[test]
    fn credentials_are_removed() {
        assert_eq!(without_credentials("http://user:pass@host:8080/v1"), "http://host:8080/v1");
        assert_eq!(without_credentials("https://key@api.example.com/v1/"), "https://api.example.com/v1");
        assert_eq!(without_credentials("https://api.openai.com/v1"), "https://api.openai.com/v1");
    }
}
