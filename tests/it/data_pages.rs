//! The Data pages as staff use them: filters, search, keyset pages, detail pages, and their tools.

use axum::body::Body;
use axum::http::{header, Method, StatusCode};
use shared::auth::Role;

use crate::helpers::{Session, TestApp};
use crate::sync_support::{register, sim, sync_idle};

/// How many rows a list page shows (one checkbox or one row link per row).
fn order_rows(body: &str) -> usize {
    body.matches("name=\"sel\"").count()
}

/// The `href` of the "Older »" link, unescaped.
fn next_href(body: &str) -> Option<String> {
    let at = body.find("rel=\"next\"")?;
    let start = body[..at].rfind("href=\"")? + 6;
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}

async fn synced() -> (TestApp, testkit::SimHandle, i64, Session) {
    let app = TestApp::new().await;
    let sim = sim(61, 700, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    (app, sim, panel, owner)
}

#[tokio::test]
async fn orders_filter_search_and_page_without_repeats() {
    let (app, _sim, panel, owner) = synced().await;
    let first = app.get("/orders", Some(&owner)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(order_rows(&first.body), 50);
    // Keyset pages: every order exactly once, newest first.
    let mut seen = Vec::new();
    let mut page = first;
    loop {
        seen.extend(page.attrs("input[name=sel]", "value"));
        match next_href(&page.body) {
            Some(h) => page = app.get(&h, Some(&owner)).await,
            None => break,
        }
    }
    let expected: Vec<String> = app
        .column(
            "SELECT panel_id || ':' || id FROM orders_cache ORDER BY created DESC, panel_id DESC, id DESC",
        )
        .await;
    assert_eq!(seen, expected, "pages walk the whole cache once, in order");

    // Status tab + service filter survive paging and match the database.
    let fails = app.column("SELECT id FROM orders_cache WHERE status = 'fail'").await;
    let res = app.get("/orders?status=fail", Some(&owner)).await;
    assert_eq!(order_rows(&res.body), fails.len().min(50));
    assert!(res.body.contains("aria-current=\"page\">Fail"));
    let svc = app
        .column("SELECT service_id FROM orders_cache GROUP BY service_id ORDER BY COUNT(*) DESC LIMIT 1")
        .await;
    let n = app.column(&format!("SELECT id FROM orders_cache WHERE service_id = {}", svc[0])).await.len();
    let res = app.get(&format!("/orders?service={}", svc[0]), Some(&owner)).await;
    assert_eq!(order_rows(&res.body), n.min(50));
    if n > 50 {
        let next = next_href(&res.body).expect("a next page");
        assert!(next.contains(&format!("service={}", svc[0])), "the filter is kept in the next link: {next}");
    }
    assert!(res.body.contains("Service: "), "active filter shown as a chip");

    // Search by id, external id, link prefix and username.
    let row = app.column("SELECT id || '|' || external_id || '|' || link || '|' || user FROM orders_cache WHERE external_id IS NOT NULL LIMIT 1").await;
    let parts: Vec<&str> = row[0].split('|').collect();
    for (term, at_least) in [(parts[0], 1), (parts[1], 1), (parts[2], 1)] {
        let res = app.get(&format!("/orders?q={}", urlencode(term)), Some(&owner)).await;
        assert!(order_rows(&res.body) >= at_least, "search {term}");
        assert!(
            res.body.contains(&format!("value=\"{panel}:{}\"", parts[0])),
            "search {term} finds the order"
        );
    }
    let by_user = app.column(&format!("SELECT id FROM orders_cache WHERE user = '{}'", parts[3])).await.len();
    let res = app.get(&format!("/orders?q={}", urlencode(parts[3])), Some(&owner)).await;
    assert_eq!(order_rows(&res.body), by_user.min(50));
    let none = app.get("/orders?q=nobody-like-this", Some(&owner)).await;
    assert!(none.body.contains("No orders match these filters"));

    // Bad values are clear 400s, not 500s.
    for (path, words) in [
        ("/orders?service=abc", "Service must be a whole number"),
        ("/orders?mode=robot", "Mode must be one of: auto, manual"),
        ("/orders?from=yesterday", "Created from must be a date"),
        ("/orders?after=1.2", "page position"),
    ] {
        let res = app.get(path, Some(&owner)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(res.body.contains(words), "{path}: {}", res.body);
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_string()
}

#[tokio::test]
async fn order_detail_shows_provider_and_margin_and_selection_copies() {
    let (app, _sim, panel, owner) = synced().await;
    let row = app.column("SELECT id || '|' || external_id || '|' || provider || '|' || (charge - provider_charge) || '|' || link FROM orders_cache WHERE external_id IS NOT NULL LIMIT 1").await;
    let p: Vec<&str> = row[0].split('|').collect();
    let res = app.get(&format!("/orders/{panel}/{}", p[0]), Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains(p[1]) && res.body.contains(p[2]), "external id and provider");
    let margin = shared::pp::money::display(p[3].parse().unwrap(), None);
    assert!(res.body.contains(&margin), "margin {margin}");
    let sel = app.get(&format!("/orders/selection?sel={panel}:{}", p[0]), Some(&owner)).await;
    assert!(
        sel.body.contains(p[1]) && sel.body.contains(&p[4].replace('&', "&amp;")),
        "selection lists the external id and link"
    );
    assert_eq!(app.get(&format!("/orders/{panel}/1"), Some(&owner)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hostile_panel_text_is_rendered_inert() {
    let app = TestApp::new().await;
    let sim = sim(62, 300, false).await;
    sim.with(|s| {
        s.data.users[0].username = "\"><script>alert('u')</script>".into();
        for u in s.data.users.iter_mut().skip(1) {
            u.email = "x\" onmouseover=\"alert(1)".into();
        }
        s.data.service_names.insert(0, "<img src=x onerror=alert(1)> Likes [Speed: 5K/Day]".into());
        s.data.service_names.insert(1, "Views ' onfocus='alert(1)".into());
        for t in s.data.tickets.iter_mut().take(3) {
            t.subject = "<b onclick=alert(1)>Refund</b>".into();
            if let Some(m) = t.messages.first_mut() {
                m.message = "<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>".into();
            }
        }
        for i in 0..400 {
            s.data.link_overrides.insert(testkit::data::FIRST_ORDER_ID + i, "javascript:alert(document.cookie)".into());
        }
        for p in s.data.payments.iter_mut() {
            p.memo = "<script>alert('memo')</script>".into();
        }
    });
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let ticket = app.column("SELECT id FROM tickets_cache ORDER BY id LIMIT 1").await;
    for path in [
        "/orders",
        "/users",
        "/payments",
        "/services",
        "/tickets",
        &format!("/tickets/{panel}/{}", ticket[0]),
    ] {
        let res = app.get(path, Some(&owner)).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let body = res.body.to_lowercase();
        // Escaped text may spell these out; only live tags and attributes would run.
        for bad in ["<script>alert", "<img", "<b onclick", "\" onmouseover=\"", "href=\"javascript:"] {
            assert!(!body.contains(bad), "{path} renders {bad}");
        }
    }
    let orders = app.get("/orders", Some(&owner)).await;
    assert!(orders.body.contains("javascript:alert(document.cookie)"), "the link is shown as text");
}

#[tokio::test]
async fn ticket_page_links_mentioned_orders_and_replies_through_the_panel() {
    let app = TestApp::new().await;
    let sim = sim(63, 300, false).await;
    let known = testkit::data::FIRST_ORDER_ID + 3;
    sim.with(|s| {
        s.data.tickets[0].messages[0].message = format!("My orders {known} and 99999999 are stuck");
    });
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let tid = sim.with(|s| s.data.tickets[0].id);
    let agent = app.as_role("agent1", Role::Agent, &[panel]).await;
    app.post(
        "/canned-replies",
        Some(&agent),
        &[("title", "Refill started"), ("body", "We started a refill for you.")],
    )
    .await;
    let page = app.get(&format!("/tickets/{panel}/{tid}"), Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("href=\"/orders/{panel}/{known}\"")), "cached order linked");
    assert!(page.body.contains("99999999") && page.body.contains("not in the cached orders"));
    assert!(page.body.contains("Refill started"), "canned replies offered");
    // Without script, choosing a canned reply pre-fills the reply box.
    let cid = app.column("SELECT id FROM canned_replies").await;
    let filled = app.get(&format!("/tickets/{panel}/{tid}?canned={}", cid[0]), Some(&agent)).await;
    assert!(filled.body.contains(">We started a refill for you.</textarea>"));
    // Its Insert button posts the draft, so the form's token never goes into the address (history,
    // logs, Referer); the draft comes back with the canned reply added, an empty one does not block it.
    assert_eq!(crate::access_walk::token_in_address(&page.body), Vec::<String>::new());
    assert!(page.body.contains("name=\"insert\" value=\"1\" formnovalidate"), "{}", page.body);
    let reply = format!("/tickets/{panel}/{tid}/reply");
    let canned = cid[0].to_string();
    for (typed, expected) in [
        (
            "Hello bob,\nthanks for waiting.",
            "Hello bob,\nthanks for waiting.\n\nWe started a refill for you.",
        ),
        ("", "We started a refill for you."),
    ] {
        let form = [("message", typed), ("canned", canned.as_str()), ("insert", "1")];
        let res = app.post(&reply, Some(&agent), &form).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains(&format!(">{expected}</textarea>")), "{typed:?}: {}", res.body);
    }
    let sent = sim.with(|s| s.data.tickets[0].messages.iter().any(|m| m.message.contains("refill for you")));
    assert!(!sent, "Insert sends nothing");

    let res = app
        .post(
            &format!("/tickets/{panel}/{tid}/reply"),
            Some(&agent),
            &[("message", "Your refill is on the way.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let on_panel = sim.with(|s| {
        s.data.tickets[0].messages.iter().any(|m| m.is_staff && m.message == "Your refill is on the way.")
    });
    assert!(on_panel, "the panel received the reply");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ticket.replied'").await, 1);
    sync_idle(&app, panel).await;
    let page = app.get(&format!("/tickets/{panel}/{tid}"), Some(&agent)).await;
    assert!(page.body.contains("Your refill is on the way."), "the conversation re-synced");
    // Viewers read but do not reply; an empty reply is refused in words.
    let viewer = app.as_role("viewer1", Role::Viewer, &[panel]).await;
    assert!(!app.get(&format!("/tickets/{panel}/{tid}"), Some(&viewer)).await.body.contains("Send reply"));
    let empty = app.post(&format!("/tickets/{panel}/{tid}/reply"), Some(&agent), &[("message", "  ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_panel_refusing_the_reply_is_a_clear_error() {
    let app = TestApp::new().await;
    let sim = sim(64, 100, false).await;
    let panel = register(&app, &sim).await;
    sync_idle(&app, panel).await;
    let tid = sim.with(|s| s.data.tickets[0].id);
    sim.faults(|f| f.errors_500 = 100);
    let agent = app.as_role("agent1", Role::Agent, &[panel]).await;
    let res =
        app.post(&format!("/tickets/{panel}/{tid}/reply"), Some(&agent), &[("message", "Hello there")]).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY);
    assert!(res.body.contains("did not take the reply: the panel answered HTTP 500"), "{}", res.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'ticket.replied'").await, 0);
    // The ticket page comes back with the typed reply in its box, not a bare error page.
    assert!(res.body.contains(">Hello there</textarea>") && res.body.contains("Your reply is kept below."));
    let long = "x".repeat(10_001);
    let res = app.post(&format!("/tickets/{panel}/{tid}/reply"), Some(&agent), &[("message", &long)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("longer than 10,000 characters")
            && res.body.contains(&format!(">{long}</textarea>"))
    );
}

#[tokio::test]
async fn users_sort_and_user_page_lists_their_rows() {
    let (app, _sim, panel, owner) = synced().await;
    let top =
        app.column("SELECT id FROM users_cache ORDER BY balance DESC, panel_id DESC, id DESC LIMIT 1").await;
    let res = app.get("/users?sort=balance&dir=desc", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    let first_link = res.body.find("href=\"/users/").map(|i| &res.body[i..i + 40]).unwrap_or("");
    assert!(first_link.starts_with(&format!("href=\"/users/{panel}/{}\"", top[0])), "{first_link}");
    assert!(res.body.contains("Balance ↓"));
    // Ascending keeps unknown values last too.
    let first = app
        .column("SELECT id FROM users_cache ORDER BY last_auth IS NULL, last_auth, panel_id, id LIMIT 1")
        .await;
    let res = app.get("/users?sort=last_auth&dir=asc", Some(&owner)).await;
    let first_link = res.body.find("href=\"/users/").map(|i| &res.body[i..i + 40]).unwrap_or("");
    assert!(first_link.starts_with(&format!("href=\"/users/{panel}/{}\"", first[0])), "{first_link}");
    assert_eq!(app.get("/users?sort=password", Some(&owner)).await.status, StatusCode::BAD_REQUEST);
    // A page number whose offset would overflow is refused, not wrapped round to the first page.
    let res = app.get("/users?page=9223372036854775807", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Page must be a number from 1 to 1,000,000."));
    // Discounts arrive as strings; they sort as numbers: 5 before 10, both before 15.
    let three = app.column("SELECT id FROM users_cache ORDER BY id LIMIT 3").await;
    app.exec("UPDATE users_cache SET discount = NULL").await;
    for (id, d) in three.iter().zip(["10", "5", "15"]) {
        app.exec(&format!("UPDATE users_cache SET discount = '{d}' WHERE id = {id}")).await;
    }
    let res = app.get("/users?sort=discount&dir=asc", Some(&owner)).await;
    let at = |i: usize| res.body.find(&format!("/users/{panel}/{}\"", three[i])).unwrap_or(usize::MAX);
    assert!(at(1) < at(0) && at(0) < at(2) && at(2) != usize::MAX, "5, 10, 15: {:?}", [at(1), at(0), at(2)]);
    let buyer = app.column("SELECT u.id FROM users_cache u WHERE EXISTS (SELECT 1 FROM orders_cache o WHERE o.user = u.username) LIMIT 1").await;
    let page = app.get(&format!("/users/{panel}/{}", buyer[0]), Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("href=\"/orders/{panel}/")), "their orders are listed");
}

#[tokio::test]
async fn shared_canned_replies_are_kept_by_those_who_see_every_panel() {
    let app = TestApp::new().await;
    let panel = app.add_panel("A", "https://a.example", None).await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let one_panel_admin = app.as_role("admin1", Role::Admin, &[panel]).await;
    let res = app.post("/canned-replies", Some(&owner), &[("title", "Refund"), ("body", "Refunded.")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let shared = app.column("SELECT id FROM canned_replies WHERE owner_id IS NULL").await;
    assert_eq!(shared.len(), 1, "the owner's reply is shared");
    // An admin of one panel may not rewrite what every panel's agents send, nor delete it.
    let path = format!("/canned-replies/{}", shared[0]);
    let res = app
        .post(&path, Some(&one_panel_admin), &[("title", "Refund"), ("body", "Pay at evil.example")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.post(&format!("{path}/delete"), Some(&one_panel_admin), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.column("SELECT body FROM canned_replies").await, vec!["Refunded."]);
    // Their own replies stay personal, and they are not offered the choice.
    let page = app.get("/canned-replies", Some(&one_panel_admin)).await;
    assert!(page.body.contains("Refund") && !page.body.contains("name=\"personal\""));
    app.post("/canned-replies", Some(&one_panel_admin), &[("title", "Mine"), ("body", "Hello.")]).await;
    assert_eq!(app.column("SELECT COUNT(*) FROM canned_replies WHERE owner_id IS NOT NULL").await, vec!["1"]);
}

#[tokio::test]
async fn payments_show_method_names_and_explain_their_risk() {
    let (app, _sim, _panel, owner) = synced().await;
    let method =
        app.column("SELECT method FROM payments_cache GROUP BY method ORDER BY COUNT(*) DESC LIMIT 1").await;
    let admin = app.as_role_of_all_panels("admin1", Role::Admin).await;
    let res = app
        .post(
            "/payment-methods",
            Some(&admin),
            &[
                ("internal_name", &method[0]),
                ("display_name", "Card (Stripe)"),
                ("min", "1000000"),
                ("max", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let bad = app
        .post(
            "/payment-methods",
            Some(&admin),
            &[("internal_name", "x"), ("display_name", "X"), ("min", "ten")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Enter an amount like 10"));
    let page = app.get(&format!("/payments?method={}", urlencode(&method[0])), Some(&owner)).await;
    assert!(page.body.contains("Card (Stripe)"));
    assert!(
        page.body.contains("below the method&#39;s minimum of 1,000,000.00")
            || page.body.contains("below the method's minimum of 1,000,000.00"),
        "every deposit is under that minimum"
    );
    assert!(page.body.contains("How the fraud risk is computed"));
}

#[tokio::test]
async fn services_show_promise_empty_state_and_refresh() {
    let app = TestApp::new().await;
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let sim = sim(65, 50, false).await;
    let panel = register(&app, &sim).await;
    let empty = app.get("/services", Some(&owner)).await;
    assert!(empty.body.contains("Click Refresh or set a Services API key in Panels settings."));
    sync_idle(&app, panel).await;
    let page = app.get("/services", Some(&owner)).await;
    assert!(page.body.contains("/day"), "speed read from the names");
    assert!(page.body.contains("refill"), "refill read from the names");
    let res = app.post("/services/refresh", Some(&owner), &[("panel", &panel.to_string())]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT run_requested FROM sync_state WHERE resource = 'services'").await, 1);
    let viewer = app.as_role("viewer1", Role::Viewer, &[panel]).await;
    assert_eq!(app.post("/services/refresh", Some(&viewer), &[]).await.status, StatusCode::FORBIDDEN);

    // Report a service; an admin resolves it.
    let agent = app.as_role("agent1", Role::Agent, &[panel]).await;
    let sid = app.column("SELECT id FROM services_cache LIMIT 1").await;
    let res = app
        .post(
            &format!("/services/{panel}/{}/report", sid[0]),
            Some(&agent),
            &[("reason", "Drops within a day")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let list = app.get("/service-reports", Some(&agent)).await;
    assert!(list.body.contains("Drops within a day") && list.body.contains("agent1"));
    assert!(!list.body.contains(">Resolve<"), "agents do not resolve");
    let rid = app.scalar("SELECT id FROM service_reports").await;
    let res = app.post(&format!("/service-reports/{rid}/resolve"), Some(&owner), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM service_reports WHERE resolved_at IS NOT NULL").await, 1);
}

/// Uploads `file` (any bytes) to the description import, as the browser's form sends it.
pub async fn upload(app: &TestApp, session: &Session, file: impl AsRef<[u8]>) -> crate::helpers::Res {
    let boundary = "XbOuNdArYx";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\nContent-Type: text/csv\r\n\r\n",
        session.csrf
    )
    .into_bytes();
    body.extend_from_slice(file.as_ref());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = TestApp::request(Method::POST, "/services/descriptions", Some(session))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn description_import_counts_lines_and_a_malformed_file_changes_nothing() {
    let (app, _sim, panel, owner) = synced().await;
    let sid = app.column("SELECT id FROM services_cache ORDER BY id LIMIT 2").await;
    let csv = format!("panel_id,service_id,description,note\n{panel},{},Real likes from active accounts,a\n{panel},oops,Bad,b\n", sid[0]);
    let res = upload(&app, &owner, &csv).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains(
            "<strong>1</strong> inserted · <strong>0</strong> updated · <strong>1</strong> rejected"
        ),
        "{}",
        res.body
    );
    assert!(res.body.contains("service_id “oops” is not a number"));
    let again = format!("panel_id,service_id,description\n{panel},{},Now with refill,\n", sid[0]);
    let res = upload(&app, &owner, &again.replace(",\n", "\n")).await;
    assert!(res.body.contains("<strong>0</strong> inserted · <strong>1</strong> updated"), "{}", res.body);
    let services = app.get("/services", Some(&owner)).await;
    assert!(services.body.contains("Now with refill"), "descriptions show on the Services page");
    // A ragged file is refused whole.
    let broken = format!("panel_id,service_id,description\n{panel},{},Fine\n{panel},{}\n", sid[1], sid[1]);
    let res = upload(&app, &owner, &broken).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Nothing was imported"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM service_descriptions").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activity_log WHERE action = 'service_descriptions.imported'").await,
        2
    );
    // A file over axum's 2 MB default but within the page's 5 MB is read, not cut off.
    let big =
        format!("panel_id,service_id,description\n{panel},{},{}\n", sid[1], "a".repeat(3 * 1024 * 1024));
    let res = upload(&app, &owner, &big).await;
    assert!(!res.body.contains("interrupted or malformed"), "{}", res.status);
    let counted =
        res.body.contains("<strong>1</strong> inserted") || res.body.contains("<strong>1</strong> rejected");
    assert!(res.body.contains("Import result") && counted, "{}", res.status);
    // The token travels in the form, never in the URL (history and bookmarks would keep it there).
    let boundary = "XbOuNdArYx";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\n{again}\r\n--{boundary}--\r\n"
    );
    let req =
        TestApp::request(Method::POST, &format!("/services/descriptions?csrf={}", owner.csrf), Some(&owner))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    let page = app.get("/services/descriptions", Some(&owner)).await;
    assert!(!page.body.contains(&format!("csrf={}", owner.csrf)), "no token in the form's address");
}

#[tokio::test]
async fn a_staff_member_of_panel_a_never_sees_panel_b() {
    let app = TestApp::new().await;
    let (sa, sb) = (sim(66, 200, false).await, sim(67, 200, false).await);
    let (a, b) = (register(&app, &sa).await, register(&app, &sb).await);
    sync_idle(&app, a).await;
    sync_idle(&app, b).await;
    let agent = app.as_role("agent1", Role::Agent, &[a]).await;
    let b_order = app.column(&format!("SELECT id FROM orders_cache WHERE panel_id = {b} LIMIT 1")).await;
    let b_user = app.column(&format!("SELECT username FROM users_cache WHERE panel_id = {b} LIMIT 1")).await;
    let b_ticket = app.column(&format!("SELECT id FROM tickets_cache WHERE panel_id = {b} LIMIT 1")).await;
    for path in [
        "/orders".to_string(),
        format!("/orders?q={}", b_order[0]),
        format!("/users?q={}", urlencode(&b_user[0])),
        "/tickets".into(),
        "/payments".into(),
        "/services".into(),
        "/users".into(),
    ] {
        let res = app.get(&path, Some(&agent)).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert!(!res.body.contains(&format!("value=\"{b}:")), "{path} shows a panel B order");
        assert!(!res.body.contains(&format!("/{b}/")), "{path} links a panel B row");
    }
    for path in [
        format!("/orders/{b}/{}", b_order[0]),
        format!("/tickets/{b}/{}", b_ticket[0]),
        format!("/users/{b}/1"),
        format!("/orders?panel={b}"),
    ] {
        let res = app.get(&path, Some(&agent)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let res =
        app.post(&format!("/tickets/{b}/{}/reply", b_ticket[0]), Some(&agent), &[("message", "hi")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The owner sees both.
    let owner = app.as_role("owner1", Role::Owner, &[]).await;
    let res = app.get(&format!("/orders?q={}", b_order[0]), Some(&owner)).await;
    assert!(res.body.contains(&format!("value=\"{b}:{}\"", b_order[0])));
}

#[tokio::test]
async fn overview_counts_what_needs_attention_in_scope() {
    let (app, _sim, _panel, owner) = synced().await;
    let now = shared::time::now();
    let midnight = now - now.rem_euclid(86_400);
    let today = app.scalar(&format!("SELECT COUNT(*) FROM orders_cache WHERE created >= {midnight}")).await;
    let pending = app.scalar("SELECT COUNT(*) FROM tickets_cache WHERE status = 'pending'").await;
    let res = app.get("/", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains(&format!(">{today}</a>")), "orders today: {today}");
    assert!(
        res.body.contains(&format!("href=\"/tickets?status=pending\">{pending}</a>")),
        "pending tickets: {pending}"
    );
    // A staff member without panels sees zeros, not other panels' numbers.
    let nobody = app.as_role("viewer0", Role::Viewer, &[]).await;
    let res = app.get("/", Some(&nobody)).await;
    assert!(!res.body.contains(&format!(">{pending}</a>")) || pending == 0);
}
