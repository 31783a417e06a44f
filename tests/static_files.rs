//! Static files: `public/` at the root URL, and any other file under the root.
//!
//! - Content-Type from the extension; ETag and Last-Modified validators.
//! - `If-None-Match` / `If-Modified-Since` answer 304; HEAD has no body; `Range` answers 206.
//! - The query string never changes which file answers: `/style.css?v=abc` is `style.css`.
//! - A static page caught empty in the middle of a save is read again until it is written.
//! - Small files are answered from memory, checked against the disk on every request.

mod util;
use axum::http::StatusCode;
use util::site;

#[tokio::test]
async fn public_files_are_served_at_the_root_url() {
    let site = site("basic");
    let reply = site.get("/extra.css").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, site.read("public/extra.css"));
    assert!(reply.header("content-type").starts_with("text/css"));
}

#[tokio::test]
async fn a_query_string_is_ignored_and_the_bytes_are_the_files() {
    let site = site("basic");
    for uri in [
        "/style.css?v=abc",
        "/style.css?v=abc&t=123",
        "/style.css?",
        "/style.css?../../etc/passwd",
    ] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.body, site.read("style.css"), "{uri}");
    }
}

#[tokio::test]
async fn files_carry_validators_and_revalidate_to_304() {
    let site = site("basic");
    // Stylesheets and scripts are rewritten in dev: they revalidate by ETag over the body.
    for file in ["/style.css", "/alphabet.txt"] {
        let first = site.get(file).await;
        let etag = first.header("etag").to_string();
        assert_eq!(first.header("cache-control"), "no-cache");
        let by_etag = site.get_with(file, &[("if-none-match", &etag)]).await;
        assert_eq!(by_etag.status, StatusCode::NOT_MODIFIED, "{file}");
        assert!(by_etag.body.is_empty());
        let stale = site.get_with(file, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(stale.status, StatusCode::OK, "{file}");
    }
    let first = site.get("/alphabet.txt").await;
    let modified = first.header("last-modified").to_string();
    let by_date = site
        .get_with("/alphabet.txt", &[("if-modified-since", &modified)])
        .await;
    assert_eq!(by_date.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn head_answers_headers_without_a_body() {
    let site = site("basic");
    let req = axum::http::Request::head("/alphabet.txt")
        .header("host", "localhost")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = site.request(req).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-length"), "36");
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn range_requests_get_partial_content() {
    let site = site("basic");
    let reply = site
        .get_with("/alphabet.txt", &[("range", "bytes=10-15")])
        .await;
    assert_eq!(reply.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(reply.text(), "abcdef");
    assert_eq!(reply.header("content-range"), "bytes 10-15/36");
    let beyond = site
        .get_with("/alphabet.txt", &[("range", "bytes=100-200")])
        .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
}

#[tokio::test]
async fn a_folder_serves_its_index_and_redirects_to_its_slash() {
    let site = site("basic");
    let reply = site.get("/docs/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("Static docs"));
    let redirect = site.get("/docs?x=1").await;
    assert_eq!(redirect.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(redirect.header("location"), "/docs/?x=1");
}

#[tokio::test]
async fn a_file_deleted_before_it_is_served_is_a_clean_404() {
    let site = site("basic");
    std::fs::remove_file(site.path("style.css")).unwrap();
    let reply = site.get("/style.css").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    std::fs::remove_file(site.path("docs/index.html")).unwrap();
    assert_eq!(site.get("/docs/").await.status, StatusCode::NOT_FOUND);
    // The server goes on.
    assert_eq!(site.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_get_and_head_are_allowed() {
    let site = site("basic");
    let req = axum::http::Request::post("/style.css")
        .header("host", "localhost")
        .body(axum::body::Body::from("x"))
        .unwrap();
    let reply = site.request(req).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "GET, HEAD");
}

#[tokio::test]
async fn a_static_page_caught_empty_mid_save_is_served_once_written() {
    let site = site("basic");
    std::fs::write(site.path("public/bare.html"), "").unwrap();
    let path = site.path("public/bare.html");
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(path, "<p>saved</p>").unwrap();
    });
    let served = site.get("/bare.html").await.text();
    writer.join().unwrap();
    assert!(served.contains("<p>saved</p>"), "{served:?}");
}

#[tokio::test]
async fn a_small_file_answered_from_memory_is_never_stale() {
    let site = site("basic");
    assert_eq!(
        site.get("/alphabet.txt").await.body,
        site.read("public/alphabet.txt")
    );
    for text in ["changed!", "CHANGED!"] {
        // Saved without the watcher telling anyone: the same length, and a moment later.
        std::thread::sleep(std::time::Duration::from_millis(5));
        site.write("public/alphabet.txt", text);
        let reply = site.get("/alphabet.txt").await;
        assert_eq!(reply.text(), text);
        assert_eq!(reply.header("content-length"), "8");
        let etag = reply.header("etag").to_string();
        let again = site
            .get_with("/alphabet.txt", &[("if-none-match", &etag)])
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    }
}
