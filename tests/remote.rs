//! Custom events without writing Rust: other processes talk to the pages of a running server.
//!
//! - `hotplate send EVENT [JSON]` reaches every page's `import.meta.hot.on(EVENT, cb)`.
//! - `/__hotplate/received` streams what pages send with `import.meta.hot.send`, as events
//!   named after theirs.
//! - The endpoint behind `hotplate send` takes JSON only, and no other site's origin.

mod util;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::process::Command;
use testkit::Browser;

fn hotplate_send(port: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args(["send", "--port", port])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_page_and_another_process_talk_both_ways() {
    let site = util::run("modules");
    let port = site.url.rsplit(':').next().unwrap().to_string();
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/events/", site.url));
    page.wait_for(
        "document.getElementById('out').textContent === 'listening' && window.__hotplate.boot",
        "the page to listen",
    );
    let mut received = site
        .runtime()
        .block_on(util::stream_of(&site.app, "/__hotplate/received"));
    let sent = hotplate_send(&port, &["greet", r#"{"name": "cli"}"#]);
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    page.wait_for(
        "document.getElementById('out').textContent === 'got cli'",
        "the page to get the event",
    );
    // The page answers with import.meta.hot.send('greeted', { name }).
    let answer = site.runtime().block_on(received.next_named("greeted"));
    assert_eq!(answer.json(), serde_json::json!({ "name": "cli" }));
}

#[test]
fn hotplate_send_says_what_is_wrong() {
    let site = util::run("basic");
    let port = site.url.rsplit(':').next().unwrap().to_string();
    let bad = hotplate_send(&port, &["greet", "{not json"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not JSON"));
    let nobody = hotplate_send("1", &["greet"]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no hotplate server answers"));
}

#[tokio::test]
async fn the_broadcast_endpoint_takes_json_from_no_other_site() {
    let site = util::site("basic");
    let post = |content_type: &str, origin: Option<&str>| {
        let mut req = Request::post("/__hotplate/broadcast")
            .header("host", "localhost:4000")
            .header("content-type", content_type);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.body(Body::from(r#"{"event":"x","data":1}"#)).unwrap()
    };
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    assert_eq!(
        site.request(post("text/plain", None)).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        site.request(post("application/json", Some("http://evil.example")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        site.request(post("application/json", None)).await.status,
        StatusCode::NO_CONTENT
    );
    let custom = events.next_named("custom").await.json();
    assert_eq!(custom, serde_json::json!({ "event": "x", "data": 1 }));
}

#[tokio::test]
async fn an_event_name_with_a_line_break_is_refused_and_followers_keep_their_stream() {
    let site = util::site("basic");
    let mut received = site.stream("/__hotplate/received").await;
    let post = |path: &str, event: &str| {
        Request::post(path)
            .header("host", "localhost:4000")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({ "event": event, "data": 1 }).to_string(),
            ))
            .unwrap()
    };
    for path in ["/__hotplate/send", "/__hotplate/broadcast"] {
        for event in ["x\nevent: reload", "x\r", "x\0", ""] {
            let reply = site.request(post(path, event)).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path} {event:?}");
            assert!(reply.text().contains("event name"), "{}", reply.text());
        }
    }
    // A name that reaches the follower from Rust code is left out, and the stream goes on.
    site.app
        .live
        .messages
        .receive_custom("forged\nevent: reload", &serde_json::json!(1));
    let reply = site.request(post("/__hotplate/send", "fine")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let next = received.next_event().await;
    assert_eq!(next.event(), "fine");
}

#[test]
fn hotplate_send_refuses_an_event_name_with_a_line_break() {
    let site = util::run("basic");
    let port = site.url.rsplit(':').next().unwrap().to_string();
    let bad = hotplate_send(&port, &["x\nevent: reload"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("line break"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
