//! Calls that carry a key out of the console (panels, rivals, the AI provider) are made by clients
//! built here. None follows a redirect: a 3xx is the caller's error, naming where it pointed, so a key
//! is never sent on to an address nobody typed.

use reqwest::redirect::Policy;

/// The base of every outbound client: no redirects followed.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(Policy::none())
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
