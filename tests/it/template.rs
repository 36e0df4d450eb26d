//! `template.yaml` as the deployment reads it: which function each HTTP API route reaches (as API
//! Gateway picks a route), and the Input each schedule sends. The functions' routers must agree with it.

use axum::http::Method;
use shared::Routes;

use crate::helpers::TestApp;

const TEMPLATE: &str = include_str!("../../template.yaml");

/// An `HttpApi` event of a function: its path (`None` for the `$default` route) and method (`ANY`).
#[derive(Debug)]
pub struct Route {
    pub binary: String,
    pub path: Option<String>,
    pub method: String,
}

/// A schedule: the function it invokes and its `Input`.
#[derive(Debug)]
pub struct Schedule {
    pub binary: String,
    pub input: String,
}

/// The `Resources` section's blocks: (logical id, its lines). The template's layout is two spaces
/// per level, which `cfn-lint` keeps.
fn resources() -> Vec<(String, Vec<&'static str>)> {
    let section = TEMPLATE.split_once("\nResources:\n").expect("a Resources section").1;
    let section = section.lines().take_while(|l| !l.starts_with(|c: char| c.is_alphanumeric()));
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in section {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            Some(name) => out.push((name.trim_end_matches(':').to_string(), Vec::new())),
            None => out.last_mut().expect("a resource").1.push(line),
        }
    }
    out
}

/// The value of `key:` on a line (quotes removed).
fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let v = line.trim_start().strip_prefix(key)?.strip_prefix(':')?.trim();
    Some(v.trim_matches('\''))
}

fn find<'a>(lines: &[&'a str], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| value(l, key))
}

fn binary_of(id: &str) -> String {
    let resources = resources();
    let (_, lines) = resources.iter().find(|(name, _)| name == id).unwrap_or_else(|| panic!("no {id}"));
    find(lines, "Binary").unwrap_or_else(|| panic!("{id} names no Binary")).to_string()
}

/// Every HTTP API route of every function.
pub fn routes() -> Vec<Route> {
    let mut out = Vec::new();
    for (_, lines) in resources() {
        let Some(binary) = find(&lines, "Binary") else { continue };
        let Some(start) = lines.iter().position(|l| l.trim() == "Events:") else { continue };
        let depth = |l: &str| l.len() - l.trim_start().len();
        let events_depth = depth(lines[start]);
        let events: Vec<&str> =
            lines[start + 1..].iter().copied().take_while(|l| depth(l) > events_depth).collect();
        // One event per line at the first level under Events.
        let mut at = 0;
        while at < events.len() {
            let end = (at + 1..events.len())
                .find(|&i| depth(events[i]) == events_depth + 2)
                .unwrap_or(events.len());
            let event = &events[at + 1..end];
            if find(event, "Type") == Some("HttpApi") {
                out.push(Route {
                    binary: binary.to_string(),
                    path: find(event, "Path").map(str::to_string),
                    method: find(event, "Method").unwrap_or("ANY").to_ascii_uppercase(),
                });
            }
            at = end;
        }
    }
    out
}

/// Every schedule's target function and Input.
pub fn schedules() -> Vec<Schedule> {
    resources()
        .into_iter()
        .filter(|(_, lines)| find(lines, "Type") == Some("AWS::Scheduler::Schedule"))
        .map(|(id, lines)| {
            let arn = find(&lines, "Arn").unwrap_or_else(|| panic!("{id} has no target"));
            let target =
                arn.strip_prefix("!GetAtt ").and_then(|a| a.strip_suffix(".Arn")).expect("!GetAtt X.Arn");
            let input = find(&lines, "Input").unwrap_or_else(|| panic!("{id} sends no Input")).to_string();
            Schedule { binary: binary_of(target), input }
        })
        .collect()
}

/// The Input the template's schedule sends `binary`.
pub fn schedule_input(binary: &str) -> String {
    let schedules = schedules();
    let found = schedules.iter().find(|s| s.binary == binary);
    found.unwrap_or_else(|| panic!("no schedule invokes {binary}: {schedules:?}")).input.clone()
}

/// Whether a route's path pattern takes `path`: `/x/{proxy+}` takes `/x/` and at least one more
/// character; `{name}` one segment.
fn takes(pattern: &str, path: &str) -> bool {
    let (mut p, mut s) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some(seg), Some(got)) if seg.ends_with("+}") => return !got.is_empty() || s.next().is_some(),
            (Some(seg), Some(got)) if seg.starts_with('{') => {
                if got.is_empty() {
                    return false;
                }
            }
            (Some(seg), Some(got)) if seg == got => {}
            _ => return false,
        }
    }
}

/// The function API Gateway sends `method path` to: the route with the most literal path wins,
/// `$default` takes the rest.
pub fn routed_to(method: &Method, path: &str) -> Option<String> {
    let routes = routes();
    let literal =
        |r: &Route| r.path.as_deref().map_or(0, |p| p.split('/').filter(|s| !s.starts_with('{')).count() + 1);
    routes
        .iter()
        .filter(|r| r.method == "ANY" || r.method == method.as_str())
        .filter(|r| r.path.as_deref().is_none_or(|p| takes(p, path)))
        .max_by_key(|r| literal(r))
        .map(|r| r.binary.clone())
}

/// A path the route's pattern takes: each `{param}` becomes `1`.
fn concrete(pattern: &str) -> String {
    pattern.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/")
}

/// Each function's whole router (what its Lambda serves).
fn functions(app: &TestApp) -> Vec<(&'static str, Routes)> {
    vec![
        ("panelops-api", panelops_api::served(&app.state)),
        ("panelops-reports", panelops_reports::served(&app.state)),
        ("panelops-ai-review", panelops_ai_review::served(&app.state)),
    ]
}

/// Every route a function registers is reachable through the template (the shared health check and
/// assets, which every HTTP function carries, through the console's), and every route the template
/// gives a function leads to routes it has.
#[tokio::test]
async fn the_template_routes_every_route_to_the_function_that_serves_it() {
    let app = TestApp::new().await;
    let shared_paths: Vec<&str> = shared::health::routes(&app.state)
        .merge(shared::routes::static_assets(&app.state))
        .specs()
        .iter()
        .map(|s| s.path)
        .collect();
    let functions = functions(&app);
    let template = routes();
    for (binary, routes) in &functions {
        assert!(template.iter().any(|r| r.binary == *binary), "template.yaml routes nothing to {binary}");
        for spec in routes.specs() {
            let path = concrete(spec.path);
            let owner = if shared_paths.contains(&spec.path) { shared::base_path::CONSOLE } else { binary };
            assert_eq!(
                routed_to(&spec.method, &path).as_deref(),
                Some(owner),
                "{binary} serves {} {}, but template.yaml sends it elsewhere",
                spec.method,
                spec.path
            );
        }
    }
    for route in &template {
        let Some((_, served)) = functions.iter().find(|(b, _)| *b == route.binary) else {
            panic!("template.yaml routes HTTP to {}, which serves none", route.binary)
        };
        let Some(pattern) = &route.path else { continue };
        let method = |m: &Method| route.method == "ANY" || route.method == m.as_str();
        assert!(
            served.specs().iter().any(|s| method(&s.method) && takes(pattern, &concrete(s.path))),
            "template.yaml routes {} {pattern} to {}, which serves nothing there",
            route.method,
            route.binary
        );
    }
    // The job functions' schedules send the Input each handler runs its job on.
    assert_eq!(schedule_input("panelops-sync"), r#"{"job":"sync"}"#);
    assert_eq!(schedule_input("panelops-ai-review"), r#"{"job":"ai-review"}"#);
    assert_eq!(schedule_input("panelops-reports"), r#"{"job":"alerts"}"#);
}

#[test]
fn api_gateway_route_matching() {
    assert!(takes("/reports/{proxy+}", "/reports/service-health"));
    assert!(takes("/reports/{proxy+}", "/reports/a/b"));
    assert!(!takes("/reports/{proxy+}", "/reports"));
    assert!(!takes("/reports/{proxy+}", "/reports/"));
    assert!(!takes("/reports/{proxy+}", "/reportsx/a"));
    assert_eq!(
        routed_to(&Method::GET, "/reports").as_deref(),
        Some("panelops-api"),
        "greedy needs a segment"
    );
    assert_eq!(routed_to(&Method::POST, "/ai/settings").as_deref(), Some("panelops-ai-review"));
    assert_eq!(routed_to(&Method::GET, "/orders").as_deref(), Some("panelops-api"));
}
