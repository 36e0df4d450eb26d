//! Route registration with access rules. Every route of every router is added through [`Routes`],
//! which records its [`RouteSpec`] and wraps it in the one access guard; there is no other way to add
//! a route, so a test can walk `specs()` and know it covers everything served.

use axum::handler::Handler;
use axum::http::Method;
use axum::middleware;
use axum::routing::{on, MethodFilter};
use axum::Router;

pub use crate::auth::access::Access;
use crate::auth::guard::guard;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    pub fn new(state: &AppState) -> Self {
        Routes { state: state.clone(), router: Router::new(), specs: Vec::new() }
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, access, handler)
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, access, handler)
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = if method == Method::POST { MethodFilter::POST } else { MethodFilter::GET };
        let route =
            on(filter, handler).layer(middleware::from_fn_with_state((self.state.clone(), access), guard));
        self.router = self.router.route(path, route);
        self.specs.push(RouteSpec { method, path, access });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// The finished router: state applied, errors rendered for their audience, and every answer
    /// (errors included: this layer is the outer one) with the security headers.
    pub fn into_router(self) -> Router {
        let state = self.state.clone();
        let router = self
            .router
            .layer(middleware::from_fn(crate::ui::error_page::render_errors))
            .layer(middleware::from_fn(crate::security_headers::add))
            .layer(middleware::from_fn(in_request_span))
            .with_state(self.state);
        // Outermost: links, forms and redirects carry the base path (`cargo lambda watch`, a stage).
        crate::base_path::serve_under_base_path(router, state)
    }
}

/// Every request runs in a `request{method, route, request_id}` span, so each log line (a 500's
/// included, whose page quotes the same id) says which route it came from.
async fn in_request_span(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    use tracing::Instrument;
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(no route)".into());
    let id = crate::error::new_request_id();
    let span = tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id);
    crate::error::REQUEST_ID.scope(id, next.run(req).instrument(span)).await
}

/// The console's stylesheet and script (`/static/{file}`, content-hashed names) and its favicon.
pub fn static_assets(state: &AppState) -> Routes {
    Routes::new(state).get("/static/{file}", Access::Public, crate::ui::assets::serve).get(
        crate::ui::assets::FAVICON_PATH,
        Access::Public,
        crate::ui::assets::favicon,
    )
}
