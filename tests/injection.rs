//! The client runtime is injected into every HTML response in dev, as the first thing in
//! `<head>` (or at the top when there is no head), and served from `/__hotplate/`.

mod util;
use axum::http::StatusCode;
use util::site;

fn tag(site: &util::Site) -> String {
    hotplate::testing::serve::tag(&site.app.settings.boot, site.app.live.hub.last_seq())
}

#[tokio::test]
async fn rendered_pages_get_the_runtime_first_in_head() {
    let site = site("basic");
    let html = site.get("/").await.text();
    let tag = tag(&site);
    assert!(html.contains(&format!("<head>{tag}")), "{html}");
    assert_eq!(html.matches(&tag).count(), 1);
}

#[tokio::test]
async fn static_html_gets_it_too() {
    let site = site("basic");
    let html = site.get("/docs/").await.text();
    assert!(
        html.contains(&format!("<head>{}<title>docs</title>", tag(&site))),
        "{html}"
    );
}

#[tokio::test]
async fn a_document_without_head_gets_it_at_the_top() {
    let site = site("basic");
    let html = site.get("/bare.html").await.text();
    assert!(html.starts_with(&tag(&site)), "{html}");
}

#[tokio::test]
async fn error_and_404_pages_carry_it_so_they_update_too() {
    let site = site("basic");
    assert!(site.get("/missing").await.text().contains(&tag(&site)));
    site.write("pages/about.html", "{% if %}");
    assert!(site.get("/about").await.text().contains(&tag(&site)));
}

#[tokio::test]
async fn the_runtime_files_are_served_as_javascript() {
    let site = site("basic");
    for file in ["client.js", "css.js", "overlay.js", "worker.js"] {
        let reply = site.get(&format!("/__hotplate/{file}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        assert_eq!(
            reply.header("content-type"),
            "text/javascript; charset=utf-8"
        );
        let on_disk = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("client")
                .join(file),
        )
        .unwrap();
        assert_eq!(reply.body, on_disk, "{file} is embedded as written");
    }
    assert_eq!(
        site.get("/__hotplate/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn other_files_are_left_alone() {
    let site = site("basic");
    assert!(!site.get("/style.css").await.text().contains("__hotplate"));
}

#[tokio::test]
async fn the_early_script_is_inlined_first_without_its_comments() {
    // (after the tag naming the hub's newest message when the page was served)
    let site = site("basic");
    let html = site.get("/").await.text();
    let start = html
        .find("<head><meta name=\"hotplate-since\"")
        .and_then(|meta| html[meta..].find("<script>").map(|i| meta + i))
        .expect("the since tag, then an inline script, first in head");
    let inline = &html[start..html[start..].find("</script>").unwrap() + start];
    assert!(inline.contains("new MutationObserver"), "{inline}");
    assert!(!inline.contains("//"), "comments are left out: {inline}");
}
