//! Cache headers.
//!
//! - Dev: every response is `no-cache` with validators (ETag).
//! - `--prod`: a URL with a `v=` query is `public, max-age=31536000, immutable`; anything else
//!   is `no-cache` with validators. No client runtime is injected and the hub is not served.

mod util;
use axum::http::StatusCode;
use hotplate::settings::Mode;
use util::{site, site_with};

#[tokio::test]
async fn dev_revalidates_everything() {
    let site = site("basic");
    for uri in ["/", "/style.css?v=1", "/docs/", "/extra.css"] {
        let reply = site.get(uri).await;
        assert_eq!(reply.header("cache-control"), "no-cache", "{uri}");
        assert!(!reply.header("etag").is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn a_rendered_page_revalidates_to_304_while_it_is_unchanged() {
    let site = site("basic");
    let etag = site.get("/about").await.header("etag").to_string();
    let again = site.get_with("/about", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    site.write("pages/about.html", "changed, and longer than before");
    let changed = site.get_with("/about", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
}

#[tokio::test]
async fn production_caches_versioned_urls_for_a_year() {
    let site = site_with("basic", |s| s.mode = Mode::Prod);
    let version = site.app.settings.version.clone();
    let versioned = site.get(&format!("/style.css?v={version}")).await;
    assert_eq!(
        versioned.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let plain = site.get("/style.css").await;
    assert_eq!(plain.header("cache-control"), "no-cache");
    assert!(!plain.header("etag").is_empty());
    let page = site.get("/").await;
    assert_eq!(page.header("cache-control"), "no-cache");
}

#[tokio::test]
async fn production_injects_no_client_and_serves_no_hub() {
    let site = site_with("basic", |s| s.mode = Mode::Prod);
    assert!(!site.get("/").await.text().contains("__hotplate"));
    assert!(!site.get("/docs/").await.text().contains("__hotplate"));
    assert_eq!(
        site.get("/__hotplate/client.js").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/__hotplate/events").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn production_keeps_one_version_for_the_process() {
    let site = site_with("basic", |s| s.mode = Mode::Prod);
    let a = site.get("/").await.text();
    let b = site.get("/about").await.text();
    let version = &site.app.settings.version;
    assert!(a.contains(version.as_str()) && b.contains(version.as_str()));
}
