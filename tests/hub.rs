//! The SSE hub at `/__hotplate/events`.
//!
//! - A connection opens with `retry:` and a `hello` carrying the boot and version.
//! - Every message has the id `<boot>-<seq>`.
//! - Keep-alive comments are sent while nothing happens.
//! - A reconnect with `Last-Event-ID` from this boot gets exactly what it missed; one from
//!   another boot gets `reload`.
//! - The messages kept for reconnects are bounded in bytes, and a client that had not taken a
//!   message the hub let go of reloads.

mod util;
use hotplate::testing::base::Message;
use std::time::Duration;
use util::{site, site_with};

fn change(path: &str) -> Message {
    Message::Change {
        paths: vec![path.to_string()],
    }
}

#[tokio::test]
async fn a_connection_opens_with_retry_and_hello() {
    let site = site("basic");
    let mut events = site.events(&[]).await;
    let hello = events.next_event().await;
    assert_eq!(hello.event(), "hello");
    assert_eq!(hello.field("retry"), Some("500"));
    let data = hello.json();
    assert_eq!(data["boot"], site.app.settings.boot.as_str());
    assert_eq!(data["version"], site.app.settings.version.as_str());
    assert_eq!(
        hello.field("id"),
        Some(format!("{}-0", site.app.settings.boot).as_str())
    );
}

#[tokio::test]
async fn messages_carry_boot_and_sequence_ids() {
    let site = site("basic");
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    site.app.live.hub.publish(change("a.css"));
    site.app.live.hub.publish(change("b.css"));
    let boot = &site.app.settings.boot;
    let first = events.next_event().await;
    assert_eq!(first.event(), "change");
    assert_eq!(first.field("id"), Some(format!("{boot}-1").as_str()));
    assert_eq!(first.json()["paths"][0], "a.css");
    assert_eq!(
        events.next_event().await.field("id"),
        Some(format!("{boot}-2").as_str())
    );
}

#[tokio::test]
async fn keep_alive_comments_flow_while_idle() {
    let site = site_with("basic", |s| s.keep_alive = Duration::from_millis(50));
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let block = events
        .next_within(Duration::from_secs(5))
        .await
        .expect("a keep-alive");
    assert_eq!(block.field(":"), Some("keep-alive"));
}

#[tokio::test]
async fn a_reconnect_from_this_boot_gets_exactly_what_it_missed() {
    let site = site("basic");
    let boot = site.app.settings.boot.clone();
    for path in ["1", "2", "3", "4"] {
        site.app.live.hub.publish(change(path));
    }
    let mut events = site
        .events(&[("last-event-id", &format!("{boot}-2"))])
        .await;
    let hello = events.next_event().await;
    assert_eq!(hello.event(), "hello");
    assert_eq!(
        hello.field("id"),
        None,
        "a resuming hello must not move the client's last id"
    );
    let third = events.next_event().await;
    assert_eq!(
        (third.field("id"), third.json()["paths"][0].as_str()),
        (Some(format!("{boot}-3").as_str()), Some("3"))
    );
    let fourth = events.next_event().await;
    assert_eq!(fourth.field("id"), Some(format!("{boot}-4").as_str()));
    // Then live messages, nothing replayed twice.
    site.app.live.hub.publish(change("5"));
    assert_eq!(
        events.next_event().await.field("id"),
        Some(format!("{boot}-5").as_str())
    );
}

#[tokio::test]
async fn a_reconnect_from_another_boot_reloads() {
    let site = site("basic");
    site.app.live.hub.publish(change("x"));
    let mut events = site.events(&[("last-event-id", "0ldb00t-7")]).await;
    assert_eq!(events.next_event().await.event(), "hello");
    let reload = events.next_event().await;
    assert_eq!(reload.event(), "reload");
    assert!(
        reload.json()["reason"]
            .as_str()
            .unwrap()
            .contains("restarted")
    );
}

#[tokio::test]
async fn a_client_too_far_behind_reloads() {
    let site = site("basic");
    let boot = site.app.settings.boot.clone();
    for i in 0..hotplate::testing::hub::RING_CAPACITY + 5 {
        site.app.live.hub.publish(change(&i.to_string()));
    }
    let mut events = site
        .events(&[("last-event-id", &format!("{boot}-1"))])
        .await;
    events.next_named("hello").await;
    assert_eq!(events.next_event().await.event(), "reload");
}

#[tokio::test]
async fn the_messages_kept_are_bounded_in_bytes_and_a_client_that_missed_one_let_go_reloads() {
    use hotplate::testing::hub::RING_BYTES;
    let site = site("basic");
    let hub = &site.app.live.hub;
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;

    // 40 messages of 1 MB each (a stylesheet, a module and a patch ride in one), published
    // before the client reads any.
    let big = serde_json::Value::String("x".repeat(1 << 20));
    for _ in 0..40 {
        hub.publish(Message::Custom {
            event: "big".into(),
            data: big.clone(),
        });
    }

    let recent = hub.recent();
    let kept: usize = recent.iter().map(|n| n.data.len()).sum();
    assert!(kept <= RING_BYTES, "{kept} bytes kept");
    assert!(recent.len() < 40, "the oldest went");
    assert_eq!(recent.last().unwrap().seq, 40, "the newest is kept");
    // The client had not taken the first message when the ring let it go: it reloads.
    assert_eq!(events.next_event().await.event(), "reload");
}

#[tokio::test]
async fn every_client_gets_every_message() {
    let site = site("basic");
    let mut a = site.events(&[]).await;
    let mut b = site.events(&[]).await;
    a.next_named("hello").await;
    b.next_named("hello").await;
    assert_eq!(site.app.live.hub.clients(), 2);
    site.app.live.hub.publish(Message::reload_all("test"));
    assert_eq!(a.next_event().await.event(), "reload");
    assert_eq!(b.next_event().await.event(), "reload");
}
