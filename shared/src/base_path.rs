//! The console under a path prefix: `cargo lambda watch` serves each function at `/lambda-url/<bin>/…`,
//! an API Gateway stage other than `$default` sits before every path, and a proxy may map the console
//! under a path of its own (`PANELOPS_BASE_PATH`). The router's paths stay the same everywhere; what
//! the browser sees carries the prefix.
//!
//! One layer does it for every page rather than each of the hundreds of links, redirects and forms:
//! every root-relative URL in an HTML answer's `href`, `src`, `action` and `formaction` attributes and
//! in `Location` gets the prefix, so handlers keep writing `/orders` and no call site can forget it. The
//! few absolute URLs handlers build for clients outside (the admin API's `next_page_href`, the API keys
//! page's example) come from [`Site`], which knows the prefix too. When there is no prefix — the local
//! runner, the template's HTTP API — the layer passes the request through untouched.
//!
//! Under watch a link to another function's page (`/reports/…` from a console page) must go to that
//! function's prefix: [`OWNERS`] routes paths as `template.yaml` does (a test holds them together). A
//! configured base path applies to every function alike.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use lambda_http::request::RequestContext;

use crate::state::AppState;

/// Route prefixes of the functions other than the console, as `template.yaml`'s HTTP API routes them
/// (`/reports/{proxy+}`, `/ai/{proxy+}`); every other path belongs to [`CONSOLE`].
pub const OWNERS: [(&str, &str); 2] = [("/reports/", "panelops-reports"), ("/ai/", "panelops-ai-review")];
/// The function serving every path the others do not: pages, `/static`, `/adminapi`.
pub const CONSOLE: &str = "panelops-api";

/// The function `template.yaml` sends `path` to.
pub fn owner(path: &str) -> &'static str {
    OWNERS.iter().find(|(prefix, _)| path.starts_with(prefix)).map_or(CONSOLE, |(_, bin)| bin)
}

/// Where the browser reaches the router's paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BasePath {
    /// One prefix before every path (`/console`, `/prod`).
    Fixed(String),
    /// `cargo lambda watch`: each path under its owning function's `/lambda-url/<bin>`.
    Watch,
}

impl BasePath {
    /// The configured prefix first, else what the Lambda request says: cargo-lambda's emulator
    /// (domain `localhost`, the function in the domain prefix), or an API Gateway stage other than
    /// `$default` on the gateway's own domain (a custom domain maps stages away).
    pub fn detect(configured: Option<&str>, context: Option<&RequestContext>) -> Option<BasePath> {
        if let Some(p) = configured {
            return Some(BasePath::Fixed(p.to_string()));
        }
        let (stage, domain, prefix) = match context? {
            RequestContext::ApiGatewayV2(c) => (&c.stage, &c.domain_name, &c.domain_prefix),
            RequestContext::ApiGatewayV1(c) => (&c.stage, &c.domain_name, &None),
            _ => return None,
        };
        let domain = domain.as_deref().unwrap_or("");
        if domain == "localhost" && prefix.as_deref().is_some_and(|p| !p.is_empty()) {
            return Some(BasePath::Watch);
        }
        match stage.as_deref() {
            Some(s) if !s.is_empty() && s != "$default" && domain.ends_with(".amazonaws.com") => {
                Some(BasePath::Fixed(format!("/{s}")))
            }
            _ => None,
        }
    }

    /// The browser's address of a root-relative router path (query included).
    pub fn href(&self, path: &str) -> String {
        match self {
            BasePath::Fixed(p) => format!("{p}{path}"),
            BasePath::Watch => format!("/lambda-url/{}{path}", owner(path)),
        }
    }

    /// The router's path of an incoming one: a configured prefix is taken off when the proxy left it on.
    fn strip<'a>(&self, path: &'a str) -> Option<&'a str> {
        let BasePath::Fixed(p) = self else { return None };
        match path.strip_prefix(p.as_str()) {
            Some("") => Some("/"),
            Some(rest) if rest.starts_with('/') => Some(rest),
            _ => None,
        }
    }

    /// Prefixes every root-relative URL in `href`, `src`, `action` and `formaction` attributes. maud
    /// writes every attribute in double quotes and escapes quotes in text, so `="/` occurs only where an
    /// attribute value starts; the attribute's name is checked before it.
    pub fn rewrite_html(&self, html: &str) -> String {
        const ATTRS: [&str; 4] = [" href", " src", " action", " formaction"];
        let mut out = String::with_capacity(html.len() + html.len() / 16);
        let mut rest = html;
        while let Some(at) = rest.find("=\"/") {
            let (before, value) = (&rest[..at + 2], &rest[at + 2..]);
            out.push_str(before);
            let name = &before[..at];
            let end = value.find('"').unwrap_or(value.len());
            if ATTRS.iter().any(|a| name.ends_with(a)) && !value.starts_with("//") {
                out.push_str(&self.href(&value[..end]));
                rest = &value[end..];
            } else {
                rest = value;
            }
        }
        out.push_str(rest);
        out
    }
}

/// The layer over a finished router (see the module's comment). It wraps the router as a whole, so a
/// configured prefix can be taken off the request's path before the router matches it.
pub fn serve_under_base_path(router: Router, state: AppState) -> Router {
    Router::new().fallback_service(router).layer(middleware::from_fn_with_state(state, layer))
}

async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let context = req.extensions().get::<RequestContext>();
    let Some(base) = BasePath::detect(state.config.base_path.as_deref(), context) else {
        return next.run(req).await;
    };
    if let Some(path) = base.strip(req.uri().path()) {
        let path_and_query = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req.extensions_mut().insert(base.clone());
    let res = next.run(req).await;
    prefix_response(&base, res).await
}

async fn prefix_response(base: &BasePath, res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let location = parts.headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
    if let Some(to) = location.filter(|l| l.starts_with('/') && !l.starts_with("//")) {
        if let Ok(v) = HeaderValue::from_str(&base.href(to)) {
            parts.headers.insert(header::LOCATION, v);
        }
    }
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return Response::from_parts(parts, body);
    }
    // Pages are rendered whole in memory; reading one back costs a copy.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not read a page to add the base path");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let body = match std::str::from_utf8(&bytes) {
        Ok(text) => Body::from(base.rewrite_html(text)),
        Err(_) => Body::from(bytes),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// The address clients outside use for a path of this console: `scheme://host`, the base path, the path.
/// For the absolute URLs a handler writes into an answer (an example, a JSON link).
pub struct Site {
    origin: String,
    base: Option<BasePath>,
}

impl Site {
    pub fn from_parts(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Site {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
        let scheme = if crate::auth::cookies::is_secure_context(headers) { "https" } else { "http" };
        Site { origin: format!("{scheme}://{host}"), base: extensions.get::<BasePath>().cloned() }
    }

    pub fn url(&self, path: &str) -> String {
        match &self.base {
            Some(b) => format!("{}{}", self.origin, b.href(path)),
            None => format!("{}{path}", self.origin),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Site {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Site::from_parts(&parts.headers, &parts.extensions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_get_their_owners_prefix() {
        let watch = BasePath::Watch;
        assert_eq!(watch.href("/orders?panel=1"), "/lambda-url/panelops-api/orders?panel=1");
        assert_eq!(
            watch.href("/reports/service-health"),
            "/lambda-url/panelops-reports/reports/service-health"
        );
        assert_eq!(watch.href("/ai/flagged"), "/lambda-url/panelops-ai-review/ai/flagged");
        let html = r#"<a href="/x">x</a><form action="/ai/settings"><img src="//cdn/x"><a data-href="/no"><input value="/orders"><a href="https://e.com/">"#;
        assert_eq!(
            BasePath::Fixed("/prod".into()).rewrite_html(html),
            r#"<a href="/prod/x">x</a><form action="/prod/ai/settings"><img src="//cdn/x"><a data-href="/no"><input value="/orders"><a href="https://e.com/">"#
        );
        assert_eq!(watch.rewrite_html(r#"<a href="/">"#), r#"<a href="/lambda-url/panelops-api/">"#);
    }

    /// The request context lambda_http puts into the request for an HTTP API (2.0) event.
    fn context(domain: &str, prefix: &str, stage: &str) -> RequestContext {
        let event = serde_json::json!({
            "version": "2.0", "routeKey": "$default", "rawPath": "/orders", "rawQueryString": "",
            "headers": {"host": domain},
            "requestContext": {"domainName": domain, "domainPrefix": prefix, "stage": stage, "requestId": "r",
                "routeKey": "$default", "timeEpoch": 0,
                "http": {"method": "GET", "path": "/orders", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"}},
            "isBase64Encoded": false
        });
        let request: lambda_http::request::LambdaRequest = serde_json::from_value(event).unwrap();
        let request = axum::http::Request::<lambda_http::Body>::from(request);
        request.extensions().get::<RequestContext>().cloned().unwrap()
    }

    #[test]
    fn detected_from_the_request_or_configured() {
        // cargo lambda watch: domain localhost, the function's name as the domain prefix.
        let watch = context("localhost", "panelops-api", "$default");
        assert_eq!(BasePath::detect(None, Some(&watch)), Some(BasePath::Watch));
        let staged = context("abc123.execute-api.eu-west-1.amazonaws.com", "abc123", "prod");
        assert_eq!(BasePath::detect(None, Some(&staged)), Some(BasePath::Fixed("/prod".into())));
        let default_stage = context("abc123.execute-api.eu-west-1.amazonaws.com", "abc123", "$default");
        assert_eq!(BasePath::detect(None, Some(&default_stage)), None);
        // A custom domain maps the stage away; its own path mapping is PANELOPS_BASE_PATH's to say.
        let custom = context("console.example.com", "console", "prod");
        assert_eq!(BasePath::detect(None, Some(&custom)), None);
        assert_eq!(BasePath::detect(Some("/ops"), Some(&watch)), Some(BasePath::Fixed("/ops".into())));
        assert_eq!(BasePath::detect(None, None), None, "the local runner");
    }

    #[test]
    fn a_configured_prefix_comes_off_the_request_path() {
        let b = BasePath::Fixed("/console".into());
        assert_eq!(b.strip("/console/orders"), Some("/orders"));
        assert_eq!(b.strip("/console"), Some("/"));
        assert_eq!(b.strip("/consoleX/orders"), None);
        assert_eq!(b.strip("/orders"), None, "a proxy that took it off already");
    }
}
