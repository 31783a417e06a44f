//! npm packages without a bundler: bare specifiers resolved in `node_modules` as Node resolves
//! them for a browser, and ES-module packages served as they are under `/__hotplate/npm/`,
//! versioned by the lockfile and cached for good.
//!
//! The packages are written by each test into a copy of a small site (no npm needed):
//! - `tiny-esm`: `"type": "module"`, `exports` with a `browser` condition and a subpath; it
//!   imports its own files relatively and another package by name, and tests
//!   `process.env.NODE_ENV`;
//! - `tiny-dep`: a `module` field beside a CommonJS `main`;
//! - `tiny-cjs`: CommonJS only, converted into an ES module with named exports (rolldown);
//!   it re-exports another file, and requires another CommonJS package;
//! - `broken-cjs`: CommonJS that does not parse: the overlay names it.

mod util;
use testkit::Browser;
use util::{run_dir, site};

/// A site of `files`, the later sets written over the earlier, served.
fn serve(sets: &[&[(&str, &str)]]) -> util::Running {
    let dir = tempfile::tempdir().unwrap();
    for files in sets {
        write(dir.path(), files);
    }
    run_dir(dir, |_| {})
}

fn write(root: &std::path::Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

const PACKAGES: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><html><head><script type=\"module\" src=\"/main.js\"></script></head><body><p id=\"out\"></p></body></html>",
    ),
    (
        "main.js",
        "import { shout } from 'tiny-esm';\nimport { twice } from 'tiny-esm/math';\ndocument.getElementById('out').textContent = shout('hi') + twice(2);\n",
    ),
    ("package-lock.json", "{ \"lockfileVersion\": 3 }"),
    (
        "node_modules/tiny-esm/package.json",
        r#"{ "name": "tiny-esm", "version": "1.0.0", "type": "module",
             "exports": { ".": { "browser": "./browser.js", "default": "./node.js" }, "./math": "./lib/math.js" } }"#,
    ),
    (
        "node_modules/tiny-esm/browser.js",
        "import { suffix } from './lib/suffix.js';\nimport { dep } from 'tiny-dep';\nexport const shout = (s) => s.toUpperCase() + suffix + dep;\n",
    ),
    (
        "node_modules/tiny-esm/node.js",
        "export const shout = () => 'node build';\n",
    ),
    (
        "node_modules/tiny-esm/lib/suffix.js",
        "export const suffix = '?';\n",
    ),
    (
        "node_modules/tiny-esm/lib/math.js",
        "export const twice = (n) => (process.env.NODE_ENV === 'development' ? n * 2 : 0);\n",
    ),
    (
        "node_modules/tiny-dep/package.json",
        r#"{ "name": "tiny-dep", "version": "2.0.0", "main": "./index.cjs", "module": "./index.mjs" }"#,
    ),
    (
        "node_modules/tiny-dep/index.mjs",
        "export const dep = '!';\n",
    ),
    (
        "node_modules/tiny-dep/index.cjs",
        "exports.dep = 'commonjs';\n",
    ),
    (
        "node_modules/tiny-cjs/package.json",
        r#"{ "name": "tiny-cjs", "version": "1.0.0", "main": "./index.js" }"#,
    ),
    ("node_modules/tiny-cjs/index.js", "exports.value = 1;\n"),
];

const COMMONJS: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><html><head><script type=\"module\" src=\"/main.js\"></script></head><body><p id=\"out\"></p></body></html>",
    ),
    (
        "main.js",
        "import whole, { add, version } from 'tiny-cjs';\nimport { shared } from 'tiny-shared';\ndocument.getElementById('out').textContent = [add(1, 2), version, typeof whole.add, shared === whole.shared].join(' ');\n",
    ),
    ("package-lock.json", "{ \"lockfileVersion\": 3, \"v\": 1 }"),
    (
        "node_modules/tiny-cjs/package.json",
        r#"{ "name": "tiny-cjs", "version": "1.0.0", "main": "./index.js" }"#,
    ),
    (
        "node_modules/tiny-cjs/index.js",
        "'use strict';\nif (process.env.NODE_ENV === 'production') {\n  module.exports = require('./prod.js');\n} else {\n  module.exports = require('./dev.js');\n}\n",
    ),
    (
        "node_modules/tiny-cjs/prod.js",
        "exports.version = 'production';\n",
    ),
    (
        "node_modules/tiny-cjs/dev.js",
        "exports.add = (a, b) => a + b;\nexports.version = 'development';\nexports.shared = require('tiny-shared').shared;\n",
    ),
    (
        "node_modules/tiny-shared/package.json",
        r#"{ "name": "tiny-shared", "version": "1.0.0", "main": "./index.js" }"#,
    ),
    (
        "node_modules/tiny-shared/index.js",
        "exports.shared = {};\n",
    ),
];

#[test]
fn a_bare_import_of_an_es_module_package_runs_in_the_browser() {
    let site = serve(&[PACKAGES]);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    let out = page.wait_for(
        "document.getElementById('out').textContent",
        "main.js to run",
    );
    assert_eq!(
        out, "HI?!4",
        "the browser build, its own files and tiny-dep's module"
    );
}

#[tokio::test]
async fn package_urls_are_versioned_by_the_lockfile_and_cached_for_good() {
    let site = site("typescript");
    write(site.dir.path(), PACKAGES);
    site.app.modules.refresh_npm_key();
    let key = format!(
        "?v={}",
        hotplate::testing::modules::npm::lock_key(&site.app.settings.root)
    );

    let main = site.get("/main.js").await.text();
    let entry = format!("/__hotplate/npm/node_modules/tiny-esm/browser.js{key}");
    assert!(main.contains(&format!("\"{entry}\"")), "{main}");
    assert!(
        main.contains(&format!(
            "\"/__hotplate/npm/node_modules/tiny-esm/lib/math.js{key}\""
        )),
        "{main}"
    );

    let reply = site.get(&entry).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        reply.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let package = reply.text();
    for import in [
        "/__hotplate/npm/node_modules/tiny-esm/lib/suffix.js",
        "/__hotplate/npm/node_modules/tiny-dep/index.mjs",
    ] {
        assert!(package.contains(&format!("\"{import}{key}\"")), "{package}");
    }
    assert!(
        !package.contains("import.meta.hot"),
        "packages get no hot context"
    );

    let cjs = site
        .get("/__hotplate/npm/node_modules/tiny-cjs/index.js")
        .await;
    assert_eq!(cjs.status, 500);
    assert!(
        cjs.text()
            .contains("tiny-cjs/index.js is a CommonJS module"),
        "{}",
        cjs.text()
    );

    for outside in [
        "/__hotplate/npm/main.js",
        "/__hotplate/npm/node_modules/../main.js",
        "/__hotplate/npm/node_modules/%2e%2e/main.js",
        "/__hotplate/npm/node_modules/tiny-esm/missing.js",
    ] {
        assert_eq!(site.get(outside).await.status, 404, "{outside}");
    }
}

#[test]
fn a_commonjs_package_is_converted_once_with_named_exports_and_one_copy_of_what_it_shares() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), COMMONJS);
    let root = dir.path().to_path_buf();
    let site = run_dir(dir, |_| {});
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    let out = page.wait_for(
        "document.getElementById('out').textContent",
        "main.js to run",
    );
    // Named exports through a re-export, NODE_ENV set for development, the default export
    // being module.exports, and tiny-shared one module for both importers.
    assert_eq!(out, "3 development function true");
    for built in ["tiny-cjs.js", "tiny-shared.js"] {
        assert!(
            root.join("node_modules/.hotplate/deps")
                .join(built)
                .is_file(),
            "{built} is kept under node_modules/.hotplate"
        );
    }
}

#[test]
fn a_package_that_cannot_be_converted_shows_the_overlay_naming_it() {
    let site = serve(&[
        COMMONJS,
        &[
            (
                "main.js",
                "import { add } from 'tiny-cjs';\nimport broken from 'broken-cjs';\ndocument.getElementById('out').textContent = add(1, 2);\n",
            ),
            (
                "node_modules/broken-cjs/package.json",
                r#"{ "name": "broken-cjs", "version": "1.0.0", "main": "./index.js" }"#,
            ),
            (
                "node_modules/broken-cjs/index.js",
                "module.exports = { value: ;\n",
            ),
        ],
    ]);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    let text = page.wait_for_overlay();
    assert!(
        text.contains("could not convert the CommonJS package broken-cjs"),
        "{text}"
    );
    assert!(
        !text.contains("package tiny-cjs"),
        "tiny-cjs converts: {text}"
    );
}

#[test]
fn an_import_map_in_the_page_wins_over_node_modules() {
    let site = serve(&[
        PACKAGES,
        &[
            (
                "index.html",
                r#"<!doctype html><html><head>
                <script type="importmap">{ "imports": { "tiny-esm": "/vendor/tiny-esm.js" } }</script>
                <script type="module" src="/main.js"></script></head><body><p id="out"></p></body></html>"#,
            ),
            (
                "vendor/tiny-esm.js",
                "export const shout = (s) => `mapped ${s}`;\n",
            ),
        ],
    ]);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    let out = page.wait_for(
        "document.getElementById('out').textContent",
        "main.js to run",
    );
    // `tiny-esm` is the page's; `tiny-esm/math` is mapped by nothing and still resolved.
    assert_eq!(out, "mapped hi4");
}

#[test]
fn a_commonjs_package_imported_later_is_built_with_the_others_and_shared_once() {
    let site = serve(&[
        COMMONJS,
        &[(
            "main.js",
            "import { add } from 'tiny-cjs';\ndocument.getElementById('out').textContent = String(add(1, 2));\n",
        )],
    ]);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for(
        "document.getElementById('out').textContent === '3'",
        "the first build",
    );
    // tiny-shared was bundled inside tiny-cjs; imported by name now, it becomes an entry of
    // its own, and tiny-cjs must use that same module.
    site.write("main.js", COMMONJS[1].1);
    page.wait_for(
        "document.getElementById('out').textContent === '3 development function true'",
        "the second build, with one tiny-shared",
    );
}

/// The URL `main.js` imports `tiny-cjs` by, as a fresh server on `root` writes it.
async fn converted_url(router: &axum::Router) -> String {
    let main = util::send(router.clone(), get("/main.js")).await.text();
    let start = main
        .find("/__hotplate/deps/tiny-cjs.js?v=")
        .expect("a converted import");
    let end = start + main[start..].find('"').unwrap();
    main[start..end].to_string()
}

fn get(uri: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(uri)
        .header("host", "localhost")
        .body(axum::body::Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_conversion_is_kept_on_disk_and_reused_until_the_lockfile_changes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), COMMONJS);
    let fresh = || {
        let app = hotplate::testing::App::new(hotplate::Settings::for_root(dir.path()).unwrap());
        hotplate::testing::serve::router(app)
    };
    let built = dir.path().join("node_modules/.hotplate/deps/tiny-cjs.js");
    let modified = || std::fs::metadata(&built).unwrap().modified().unwrap();

    let first = fresh();
    let url = converted_url(&first).await;
    assert_eq!(util::send(first, get(&url)).await.status, 200);
    let at = modified();

    // A restart: the same key, and the build on disk is served as it is.
    let second = fresh();
    assert_eq!(converted_url(&second).await, url);
    let reply = util::send(second, get(&url)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(modified(), at, "built again");

    // An install: a new key, and a new build.
    write(
        dir.path(),
        &[("package-lock.json", "{ \"lockfileVersion\": 3, \"v\": 2 }")],
    );
    let third = fresh();
    let changed = converted_url(&third).await;
    assert_ne!(changed, url);
    assert_eq!(util::send(third, get(&changed)).await.status, 200);
    assert_ne!(modified(), at, "not built again");
}

#[test]
fn a_bare_import_that_nothing_answers_shows_the_overlay_naming_the_package() {
    let site = serve(&[
        PACKAGES,
        &[(
            "main.js",
            "import { shout } from 'tiny-esm';\nimport { Chart } from '@charts/core/bar';\ndocument.getElementById('out').textContent = shout('hi');\n",
        )],
    ]);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    let text = page.wait_for_overlay();
    assert!(text.contains("main.js imports @charts/core/bar"), "{text}");
    assert!(text.contains("npm install @charts/core"), "{text}");
    assert!(!text.contains("tiny-esm"), "tiny-esm is installed: {text}");
}

#[tokio::test]
async fn dotfiles_in_packages_are_never_served_but_pnpm_s_store_is() {
    let site = site("typescript");
    write(site.dir.path(), PACKAGES);
    write(
        site.dir.path(),
        &[
            ("node_modules/tiny-esm/.env", "SECRET=1\n"),
            (
                "node_modules/.npmrc",
                "//registry.npmjs.org/:_authToken=npm_secret\n",
            ),
            (
                "node_modules/tiny-esm/.config/app.js",
                "export const secret = 1;\n",
            ),
            (
                "node_modules/.pnpm/tiny-store@1.0.0/node_modules/tiny-store/index.js",
                "export const stored = 1;\n",
            ),
        ],
    );
    std::os::unix::fs::symlink(
        site.dir.path().join("node_modules/tiny-esm/.env"),
        site.dir.path().join("node_modules/tiny-esm/env.js"),
    )
    .unwrap();
    for hidden in [
        "/__hotplate/npm/node_modules/tiny-esm/.env",
        "/__hotplate/npm/node_modules/tiny-esm/%2eenv",
        "/__hotplate/npm/node_modules/tiny-esm/.env?raw",
        "/__hotplate/npm/node_modules/.npmrc",
        "/__hotplate/npm/node_modules/%2Enpmrc",
        "/__hotplate/npm/node_modules/tiny-esm/.config/app.js",
        "/__hotplate/npm/node_modules/tiny-esm/env.js",
    ] {
        let reply = site.get(hidden).await;
        assert_eq!(reply.status, 404, "{hidden}");
        assert!(!reply.text().contains("SECRET") && !reply.text().contains("npm_secret"));
    }
    let stored = site
        .get("/__hotplate/npm/node_modules/.pnpm/tiny-store@1.0.0/node_modules/tiny-store/index.js")
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text());
}
