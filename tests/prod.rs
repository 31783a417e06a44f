//! `hotplate serve --prod` serves a build, so it never serves raw TypeScript or an unrendered
//! template: a folder `hotplate build` made is served as it is; a site is built first, into a
//! folder of its own. A build is served as a static host would: fingerprinted names cached for
//! good, pages revalidated, `.br`/`.gz` by `Accept-Encoding`, `404.html` with status 404.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::{Browser, free_port, http_get};

/// `hotplate serve --prod <folder>` on a free port, answering.
struct Prod {
    child: Child,
    url: String,
}

impl Drop for Prod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_prod(folder: &Path) -> Prod {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args([
            "serve",
            "--prod",
            "--strict-port",
            "--port",
            &port.to_string(),
        ])
        .arg(folder)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "hotplate serve --prod did not answer"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Prod { child, url }
}

#[test]
fn a_typescript_app_in_prod_is_built_and_runs_in_chromium() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/preact-ts");
    assert!(
        example.join("node_modules").is_dir(),
        "run `npm ci` in examples/preact-ts first (scripts/test does)"
    );
    let site = testkit::copy_site(&example);
    let prod = serve_prod(site.path());
    let home = http_get(&format!("{}/", prod.url), &[]);
    let html = String::from_utf8_lossy(&home.body);
    assert!(!html.contains(".tsx"), "no TypeScript is named: {html}");
    assert!(!html.contains("__hotplate"), "no client runtime: {html}");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", prod.url));
    page.wait_for(
        "document.getElementById('count')?.textContent === 'count is 0'",
        "the app to render",
    );
    page.eval("document.getElementById('count').click(); true");
    page.wait_for(
        "document.getElementById('count')?.textContent === 'count is 1'",
        "it to run",
    );
    let loaded = page.eval(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).join(' ')",
    );
    let loaded = loaded.as_str().unwrap();
    assert!(!loaded.contains(".ts"), "only built files load: {loaded}");
    assert!(!loaded.contains("node_modules"), "{loaded}");
}

#[test]
fn a_built_folder_is_served_as_a_static_host_would() {
    let site = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = site.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "pages/index.html",
        &format!(
            "<link rel=stylesheet href=/style.css><p>{}</p>",
            "home ".repeat(400)
        ),
    );
    write("pages/about.html", "<p>about</p>");
    write("pages/404.html", "<p>lost</p>");
    let rules: String = (0..100)
        .map(|i| format!(".c{i} {{ margin: {i}px; }}\n"))
        .collect();
    write("style.css", &format!("body {{ color: red; }}\n{rules}"));
    let out = site.path().join("dist");
    let status = Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("build")
        .arg(site.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // A file changed in the build after it was made is served as it is now: the folder is
    // served, not built again.
    std::fs::write(out.join("about/index.html"), "<p>edited in dist</p>").unwrap();
    let prod = serve_prod(&out);

    let about = http_get(&format!("{}/about", prod.url), &[]);
    let about = if about.status == 301 || about.status == 307 || about.status == 308 {
        http_get(&format!("{}/about/", prod.url), &[])
    } else {
        about
    };
    assert_eq!(about.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&about.body),
        "<p>edited in dist</p>"
    );
    assert_eq!(
        about.header("cache-control"),
        Some("no-cache"),
        "pages revalidate"
    );

    let home = http_get(&format!("{}/", prod.url), &[]);
    let html = String::from_utf8_lossy(&home.body).into_owned();
    let css = html
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert!(
        css.starts_with("/style.") && css.len() == "/style.12345678.css".len(),
        "{css}"
    );
    let style = http_get(
        &format!("{}{css}", prod.url),
        &[("accept-encoding", "gzip, br")],
    );
    assert_eq!(style.status, 200);
    assert_eq!(
        style.header("cache-control"),
        Some("public, max-age=31536000, immutable"),
        "a fingerprinted name is cached for good"
    );
    assert_eq!(style.header("content-encoding"), Some("br"));
    let gzip = http_get(
        &format!("{}{css}", prod.url),
        &[("accept-encoding", "gzip")],
    );
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let plain = http_get(&format!("{}{css}", prod.url), &[]);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(String::from_utf8_lossy(&plain.body).starts_with("body{color:red}"));

    let lost = http_get(&format!("{}/nothing/here", prod.url), &[]);
    assert_eq!(lost.status, 404);
    assert!(String::from_utf8_lossy(&lost.body).contains("<p>lost</p>"));
    assert_eq!(
        http_get(&format!("{}/.hotplate-build", prod.url), &[]).status,
        404
    );
}
