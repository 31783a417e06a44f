//! Safety: only this server's Host names are answered (DNS rebinding), the hub refuses foreign
//! origins, and nothing outside the root, no dotfile and no template source is ever served.

mod util;
use axum::http::StatusCode;
use util::site;

#[tokio::test]
async fn a_foreign_host_is_refused_with_an_explanation() {
    let site = site("basic");
    let reply = site.get_with_host("/", "attacker.example").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("--allowed-host"), "{}", reply.text());
    for host in ["localhost:4000", "127.0.0.1:4000", "[::1]:4000"] {
        assert_eq!(
            site.get_with_host("/", host).await.status,
            StatusCode::OK,
            "{host}"
        );
    }
}

#[tokio::test]
async fn an_allowed_host_may_be_configured() {
    let site = util::site_with("basic", |s| s.allowed_hosts = vec!["dev.test".into()]);
    assert_eq!(
        site.get_with_host("/", "dev.test:4000").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_hub_refuses_a_foreign_origin() {
    let site = site("basic");
    let reply = site
        .get_with(
            "/__hotplate/events",
            &[("origin", "https://attacker.example")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn traversal_attempts_are_refused() {
    let site = site("basic");
    for uri in [
        "/../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/secret",
        "/..%2f..%2fetc/passwd",
        "/docs/..%5c..%5cetc%5cpasswd",
        "/style.css%00.txt",
        "/public/../../etc/passwd",
    ] {
        let status = site.get(uri).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
    }
}

#[tokio::test]
async fn absolute_paths_stay_inside_the_root() {
    let site = site("basic");
    assert_eq!(site.get("//etc/passwd").await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/etc/passwd").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_symlink_pointing_outside_is_refused() {
    let site = site("basic");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), site.path("leak.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), site.path("public/outside")).unwrap();
    for uri in ["/leak.txt", "/outside/secret.txt"] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(!reply.text().contains("secret\n") && reply.text() != "secret");
    }
}

#[tokio::test]
async fn a_symlink_inside_the_root_is_fine() {
    let site = site("basic");
    std::os::unix::fs::symlink(site.path("style.css"), site.path("alias.css")).unwrap();
    assert_eq!(site.get("/alias.css").await.status, StatusCode::OK);
}

#[tokio::test]
async fn dotfiles_are_never_served() {
    let site = site("basic");
    for uri in ["/.env", "/%2eenv", "/public/../.env"] {
        let status = site.get(uri).await.status;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{uri}: {status}"
        );
    }
    assert_eq!(site.get("/.env").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn layouts_partials_and_page_sources_are_never_served() {
    let site = site("basic");
    for uri in [
        "/layouts/base.html",
        "/partials/nav.html",
        "/pages/about.html",
    ] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!reply.text().contains("{%"), "{uri} leaked template source");
    }
}

#[tokio::test]
async fn content_and_data_files_are_never_served() {
    let site = site("basic");
    for uri in [
        "/data/team.toml",
        "/content/notes.md",
        "/data/team.toml?raw",
        "/content/notes.md?v=1&t=2",
        "/data/",
        "/content",
        "/%64ata/team.toml",
    ] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!reply.text().contains("+++"), "{uri} leaked its source");
    }
}

#[tokio::test]
async fn the_root_template_is_asked_for_by_slash() {
    let site = site("basic");
    std::fs::remove_file(site.path("pages/index.html")).unwrap();
    site.write("index.html", "<p>{{ 1 + 1 }}</p>");
    assert!(site.get("/").await.text().contains("<p>2</p>"));
    for uri in ["/index.html", "/index.html?x=1"] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY, "{uri}");
        assert!(reply.header("location").starts_with('/'), "{uri}");
        assert!(!reply.text().contains("{{"), "{uri} leaked its source");
    }
}

#[tokio::test]
async fn a_symlink_to_a_template_folder_serves_nothing_of_it() {
    let site = site("basic");
    std::os::unix::fs::symlink(site.path("layouts"), site.path("looks")).unwrap();
    std::os::unix::fs::symlink(site.path("data"), site.path("public/facts")).unwrap();
    std::os::unix::fs::symlink(site.path("partials/nav.html"), site.path("nav.html")).unwrap();
    for uri in [
        "/looks/base.html",
        "/facts/team.toml",
        "/nav.html",
        "/looks/",
    ] {
        let reply = site.get(uri).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!reply.text().contains("{%"), "{uri} leaked template source");
    }
}

#[tokio::test]
async fn refusals_never_show_where_the_machine_keeps_the_site() {
    let site = site("basic");
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), site.path("public/outside")).unwrap();
    std::fs::write(outside.path().join("x.txt"), "x").unwrap();
    let root = site.dir.path().canonicalize().unwrap();
    for uri in ["/outside/x.txt", "/../x", "/nothing/here", "/.env"] {
        let text = site.get(uri).await.text();
        assert!(!text.contains(root.to_str().unwrap()), "{uri}: {text}");
        assert!(
            !text.contains(outside.path().to_str().unwrap()),
            "{uri}: {text}"
        );
    }
}

#[tokio::test]
async fn only_this_servers_own_origin_may_use_the_hub() {
    let site = site("basic");
    for origin in [
        "http://localhost:9999",
        "http://203.0.113.9",
        "https://localhost",
    ] {
        for path in ["/__hotplate/events", "/__hotplate/changes"] {
            let reply = site.get_with(path, &[("origin", origin)]).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} from {origin}");
        }
        let send = axum::http::Request::post("/__hotplate/send")
            .header("host", "localhost")
            .header("origin", origin)
            .body(axum::body::Body::from(r#"{"event":"x"}"#))
            .unwrap();
        assert_eq!(
            site.request(send).await.status,
            StatusCode::FORBIDDEN,
            "{origin}"
        );
    }
    // The page's own origin connects (`events` checks for a 200).
    site.events(&[("origin", "http://localhost")]).await;
}
