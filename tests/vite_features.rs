//! The module features Vite apps rely on, in headless Chromium, in dev and in what
//! `hotplate build` makes:
//!
//! - CSS Modules: `*.module.css` imported from a script gives its scoped class names, and its
//!   rules apply. A save that keeps the names swaps the styles in place; one that changes them
//!   updates the importers.
//! - Asset queries: `?raw`, `?url`, `?inline` (a stylesheet's text, not applied; another file
//!   as a `data:` URL), `?worker`, and `new Worker(new URL('./w.ts', import.meta.url))`, with
//!   the worker's TypeScript compiled (and, in the build, bundled as a chunk of its own).
//! - `import.meta.env`: Vite's built-in keys, and the `VITE_`/`HOTPLATE_` variables of the
//!   `.env` files for the mode, later files winning; a secret without the prefix is never
//!   served; a saved `.env` reloads the pages.
//! - `import.meta.glob`, eager and lazy, with `import`: a file that appears or goes updates the
//!   module that globs.
//! - An inline `<script type=module>`'s bare imports resolve as a file's do.
//! - A site in a workspace loads the packages installed at the workspace root; nothing above
//!   that root is served.
//! - What cannot be compiled here (`.vue`, `.svelte`, Solid's JSX) gets an overlay that names
//!   the file and the compiler it needs, and the build fails saying the same.
//! - An extensionless import (`./util`) of a file that does not exist yet: creating `util.ts`
//!   updates the importer.

mod util;
use std::path::Path;
use testkit::{Browser, Page, site};
use util::{Running, run_dir, static_host};

/// The site made of `files`, built (which must succeed) and served as a static host serves it.
struct Built {
    _site: tempfile::TempDir,
    out: tempfile::TempDir,
    host: util::StaticHost,
}

impl Built {
    fn of(files: &[(&str, &str)]) -> Built {
        let site = site(files);
        let out = tempfile::tempdir().unwrap();
        build(site.path(), out.path());
        let host = static_host(out.path());
        Built {
            _site: site,
            out,
            host,
        }
    }

    /// Its home page, open.
    fn open<'b>(&self, browser: &'b Browser) -> Page<'b> {
        browser.open(&format!("{}/", self.host.url))
    }
}

/// Builds the site at `root` into `out`, which must succeed.
fn build(root: &Path, out: &Path) {
    hotplate::build::build(
        &hotplate::build::Options {
            root: root.to_path_buf(),
            out: Some(out.to_path_buf()),
            ..hotplate::build::Options::default()
        },
        &|_| {},
    )
    .unwrap_or_else(|err| panic!("{err}"));
}

fn open<'b>(browser: &'b Browser, site: &Running, ready: &str) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for(ready, "the page's script to run");
    page.eval("window.marker = 42; true");
    page
}

fn assert_not_reloaded(page: &Page) {
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

/// How many times the page imported `path` again, with `?t=`.
/// How many times the card's script ran.
fn card_runs(page: &Page) -> u64 {
    page.eval("window.cardRuns").as_u64().unwrap()
}

const CARD: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><title>card</title><div id=card></div><script type=module src=/card.js></script>",
    ),
    (
        "card.module.css",
        ".title { color: rgb(255, 0, 0); }\n.big { composes: title; font-size: 30px; }\n",
    ),
    (
        "card.js",
        "import styles, { title } from './card.module.css';\n\
         window.cardRuns = (window.cardRuns || 0) + 1;\n\
         const card = document.getElementById('card');\n\
         card.className = styles.big;\n\
         card.dataset.names = Object.keys(styles).join(',');\n\
         card.dataset.title = title;\n\
         card.textContent = 'card';\n\
         import.meta.hot?.accept();\n",
    ),
];

const CARD_COLOR: &str = "getComputedStyle(document.getElementById('card')).color";

#[test]
fn a_css_module_gives_scoped_names_and_a_save_swaps_its_styles_or_updates_its_importers() {
    let site = run_dir(site(CARD), |_| {});
    let browser = Browser::launch();
    let page = open(
        &browser,
        &site,
        "document.getElementById('card').dataset.names === 'big,title'",
    );
    let class = page.eval("document.getElementById('card').className");
    let class = class.as_str().unwrap();
    let title = page.eval("document.getElementById('card').dataset.title");
    let title = title.as_str().unwrap();
    assert!(title.ends_with("_title") && title != "title", "{title}");
    assert!(
        class.ends_with(&format!(" {title}")),
        "big composes title: {class}"
    );
    assert_eq!(page.eval(CARD_COLOR), "rgb(255, 0, 0)");
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('card')).fontSize"),
        "30px"
    );

    // Same names: the styles change in place, and the script that uses them is left alone.
    site.edit("card.module.css", "rgb(255, 0, 0)", "rgb(0, 0, 255)");
    page.wait_for(
        &format!("{CARD_COLOR} === 'rgb(0, 0, 255)'"),
        "the new color",
    );
    assert_eq!(card_runs(&page), 1);
    assert_not_reloaded(&page);

    // A new class: the importer runs again with the new names.
    site.edit(
        "card.module.css",
        ".big {",
        ".small { font-size: 10px; }\n.big {",
    );
    page.wait_for(
        "document.getElementById('card').dataset.names === 'big,small,title'",
        "the importer to get the new names",
    );
    assert_eq!(card_runs(&page), 2);
    assert_eq!(page.eval(CARD_COLOR), "rgb(0, 0, 255)");
    assert_not_reloaded(&page);
}

#[test]
fn a_css_module_that_does_not_parse_shows_the_overlay_and_the_fix_applies() {
    let site = run_dir(site(CARD), |_| {});
    let browser = Browser::launch();
    let page = open(
        &browser,
        &site,
        "!!document.getElementById('card').dataset.names",
    );
    site.edit("card.module.css", ".big {", ".big > > .x {");
    let overlay = page.wait_for_overlay();
    assert!(overlay.contains("card.module.css"), "{overlay}");
    assert_eq!(page.eval(CARD_COLOR), "rgb(255, 0, 0)");
    site.edit("card.module.css", ".big > > .x {", ".big {");
    site.edit("card.module.css", "rgb(255, 0, 0)", "rgb(0, 128, 0)");
    page.wait_for(&format!("{CARD_COLOR} === 'rgb(0, 128, 0)'"), "the fix");
    page.wait_for_no_overlay();
    assert_not_reloaded(&page);
}

#[test]
fn a_built_css_module_has_the_same_names_in_its_script_and_its_stylesheet() {
    let built = Built::of(CARD);
    let browser = Browser::launch();
    let page = built.open(&browser);
    page.wait_for(
        "document.getElementById('card')?.dataset.names === 'big,title'",
        "the bundle to run",
    );
    assert_eq!(page.eval(CARD_COLOR), "rgb(255, 0, 0)");
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('card')).fontSize"),
        "30px"
    );
    let class = page.eval("document.getElementById('card').className");
    assert!(
        !class
            .as_str()
            .unwrap()
            .split(' ')
            .any(|c| c == "big" || c == "title"),
        "scoped: {class}"
    );
}

const QUERIES: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><title>queries</title><div id=out class=card></div>\
         <script type=module src=/src/main.ts></script>",
    ),
    (
        "src/main.ts",
        "import raw from './note.txt?raw';\n\
         import logo from './logo.svg?url';\n\
         import css from './card.css?inline';\n\
         import cssUrl from './card.css?url';\n\
         import dot from './dot.png?inline';\n\
         import Work from './work.ts?worker';\n\
         const out = document.getElementById('out')!;\n\
         Object.assign(out.dataset, { raw, logo, css, cssUrl, dot });\n\
         new Work().onmessage = (e: MessageEvent) => { out.dataset.worker = e.data; };\n\
         const other = new Worker(new URL('./other.ts', import.meta.url), { type: 'module' });\n\
         other.onmessage = (e: MessageEvent) => { out.dataset.other = e.data; };\n",
    ),
    ("src/note.txt", "hello\n"),
    ("src/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("src/dot.png", "not really a png"),
    (
        "src/card.css",
        ".card { color: rgb(255, 0, 0); background: url(./logo.svg); }\n",
    ),
    (
        "src/work.ts",
        "const n: number = 21;\npostMessage(`worker ${n * 2}`);\n",
    ),
    (
        "src/other.ts",
        "import { twice } from './twice';\npostMessage(`other ${twice(2)}`);\n",
    ),
    (
        "src/twice.ts",
        "export const twice = (n: number): number => n * 2;\n",
    ),
];

/// What the page of [`QUERIES`] got, once its workers answered.
fn queried(page: &Page) -> serde_json::Value {
    page.wait_for(
        "document.getElementById('out')?.dataset.worker && document.getElementById('out').dataset.other",
        "both workers to answer",
    );
    page.eval("({ ...document.getElementById('out').dataset, color: getComputedStyle(document.getElementById('out')).color })")
}

#[test]
fn asset_queries_give_what_vite_gives() {
    let site = run_dir(site(QUERIES), |_| {});
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    let got = queried(&page);
    assert_eq!(got["raw"], "hello\n");
    assert_eq!(got["logo"], "/src/logo.svg");
    assert_eq!(got["cssUrl"], "/src/card.css");
    let css = got["css"].as_str().unwrap();
    assert!(css.contains("rgb(255, 0, 0)"), "{css}");
    assert!(
        css.contains("/src/logo.svg"),
        "its url() made absolute: {css}"
    );
    assert_ne!(got["color"], "rgb(255, 0, 0)", "?inline applies nothing");
    assert!(
        got["dot"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "{got}"
    );
    assert_eq!(got["worker"], "worker 42");
    assert_eq!(got["other"], "other 4");

    // A save of the stylesheet reaches the module that imported its text, and still applies
    // nothing.
    site.edit("src/card.css", "rgb(255, 0, 0)", "rgb(0, 0, 255)");
    page.wait_for(
        "document.getElementById('out')?.dataset.css?.includes('rgb(0, 0, 255)')",
        "the new text",
    );
    assert_ne!(
        page.eval("getComputedStyle(document.getElementById('out')).color"),
        "rgb(0, 0, 255)",
        "?inline applies nothing, after a save either"
    );
}

#[test]
fn asset_queries_and_workers_build() {
    let built = Built::of(QUERIES);
    let browser = Browser::launch();
    let page = built.open(&browser);
    let got = queried(&page);
    assert_eq!(got["raw"], "hello\n");
    let logo = got["logo"].as_str().unwrap();
    assert!(
        logo.starts_with("/src/logo.") && logo.ends_with(".svg"),
        "{logo}"
    );
    let css = got["css"].as_str().unwrap();
    assert!(css.contains("red") && css.contains(logo), "{css}");
    assert_ne!(got["color"], "rgb(255, 0, 0)", "?inline applies nothing");
    assert!(
        got["dot"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "{got}"
    );
    assert_eq!(got["worker"], "worker 42");
    assert_eq!(got["other"], "other 4");
    let files: Vec<String> = std::fs::read_dir(built.out.path().join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.ends_with(".ts")),
        "no TypeScript ships: {files:?}"
    );
}

const ENV: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><title>env</title><div id=out></div><script type=module src=/main.js></script>",
    ),
    (
        "main.js",
        "const env = import.meta.env;\n\
         document.getElementById('out').dataset.env = JSON.stringify(env);\n\
         if (import.meta.env.DEV) document.getElementById('out').dataset.dev = 'yes';\n",
    ),
    (
        ".env",
        "VITE_TITLE=My App\nDB_PASSWORD=hunter2\nHOTPLATE_FLAG=on\n",
    ),
    (".env.local", "VITE_TITLE=Local App\n"),
    (".env.development", "VITE_WHERE=dev\n"),
    (".env.production", "VITE_WHERE=prod\n"),
];

fn env_of(page: &Page) -> serde_json::Value {
    let text = page.wait_for(
        "document.getElementById('out')?.dataset.env",
        "the script to set the env",
    );
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

#[test]
fn import_meta_env_holds_vites_keys_and_the_prefixed_variables_of_the_mode() {
    let site = run_dir(site(ENV), |_| {});
    let browser = Browser::launch();
    let page = open(
        &browser,
        &site,
        "!!document.getElementById('out').dataset.env",
    );
    let env = env_of(&page);
    assert_eq!(env["VITE_TITLE"], "Local App");
    assert_eq!(env["VITE_WHERE"], "dev");
    assert_eq!(env["HOTPLATE_FLAG"], "on");
    assert_eq!(env["MODE"], "development");
    assert_eq!(env["DEV"], true);
    assert_eq!(env["PROD"], false);
    assert_eq!(env["BASE_URL"], "/");
    assert_eq!(env["SSR"], false);
    assert!(env.get("DB_PASSWORD").is_none(), "{env}");

    // The secret is in no answer: not the module, not the file itself.
    for path in ["/main.js", "/.env", "/.env.local", "/%2Eenv"] {
        let reply = testkit::http_get(&format!("{}{path}", site.url), &[]);
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            !body.contains("hunter2"),
            "{path} served the secret: {body}"
        );
    }

    site.write(".env.local", "VITE_TITLE=Saved App\n");
    page.wait_for(
        "window.marker === undefined && JSON.parse(document.getElementById('out')?.dataset.env || '{}').VITE_TITLE === 'Saved App'",
        "the page to reload with the new value",
    );
}

#[test]
fn the_build_defines_import_meta_env_for_production() {
    let built = Built::of(ENV);
    let browser = Browser::launch();
    let page = built.open(&browser);
    let env = env_of(&page);
    assert_eq!(env["VITE_WHERE"], "prod");
    assert_eq!(env["MODE"], "production");
    assert_eq!(env["PROD"], true);
    assert!(env.get("DB_PASSWORD").is_none(), "{env}");
    assert_eq!(
        page.eval("document.getElementById('out').dataset.dev ?? 'gone'"),
        "gone"
    );
    let mut stack = vec![built.out.path().to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains("hunter2"),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
}

const GLOB: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><title>glob</title><div id=out></div><script type=module src=/src/main.js></script>",
    ),
    (
        "src/main.js",
        "const eager = import.meta.glob('./pages/*.js', { eager: true, import: 'name' });\n\
         const lazy = import.meta.glob(['./pages/*.js', '!**/b.js']);\n\
         const out = document.getElementById('out');\n\
         out.dataset.keys = Object.keys(eager).join(',');\n\
         Promise.all(Object.values(lazy).map((load) => load())).then((modules) => {\n\
           out.dataset.lazy = modules.map((m) => m.name).join(',');\n\
           out.dataset.eager = Object.values(eager).join(',');\n\
         });\n\
         import.meta.hot?.accept();\n",
    ),
    ("src/pages/a.js", "export const name = 'a';\n"),
    ("src/pages/b.js", "export const name = 'b';\n"),
];

fn globbed(page: &Page, eager: &str, lazy: &str) {
    page.wait_for(
        &format!(
            "document.getElementById('out')?.dataset.eager === {eager:?} && document.getElementById('out').dataset.lazy === {lazy:?}"
        ),
        &format!("eager {eager:?} and lazy {lazy:?}"),
    );
}

#[test]
fn import_meta_glob_follows_the_files_it_matches() {
    let site = run_dir(site(GLOB), |_| {});
    let browser = Browser::launch();
    let page = open(
        &browser,
        &site,
        "!!document.getElementById('out').dataset.eager",
    );
    globbed(&page, "a,b", "a");
    assert_eq!(
        page.eval("document.getElementById('out').dataset.keys"),
        "./pages/a.js,./pages/b.js"
    );

    site.write("src/pages/c.js", "export const name = 'c';\n");
    globbed(&page, "a,b,c", "a,c");
    std::fs::remove_file(site.path("src/pages/a.js")).unwrap();
    globbed(&page, "b,c", "c");
    assert_not_reloaded(&page);
}

#[test]
fn import_meta_glob_builds() {
    let built = Built::of(GLOB);
    let browser = Browser::launch();
    let page = built.open(&browser);
    globbed(&page, "a,b", "a");
}

#[test]
fn an_extensionless_import_of_a_file_that_appears_updates_its_importer() {
    let site = run_dir(
        site(&[
            (
                "index.html",
                "<!doctype html><div id=out></div><script type=module src=/main.ts></script>",
            ),
            (
                "main.ts",
                "import { twice } from './util';\ndocument.getElementById('out')!.textContent = `${twice(21)}`;\n",
            ),
        ]),
        |_| {},
    );
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    site.write(
        "util.ts",
        "export const twice = (n: number): number => n * 2;\n",
    );
    page.wait_for(
        "document.getElementById('out')?.textContent === '42'",
        "the importer to run with the new file",
    );
}

const INLINE: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><title>inline</title><div id=out></div>\
         <script type=module>import { hello } from 'tiny';\n\
         document.getElementById('out').textContent = hello();</script>",
    ),
    (
        "node_modules/tiny/package.json",
        r#"{"name": "tiny", "type": "module", "exports": "./index.js"}"#,
    ),
    (
        "node_modules/tiny/index.js",
        "export const hello = () => 'hi from tiny';\n",
    ),
];

#[test]
fn an_inline_modules_bare_imports_resolve_as_a_files_do() {
    let site = run_dir(site(INLINE), |_| {});
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for(
        "document.getElementById('out')?.textContent === 'hi from tiny'",
        "the inline module to run",
    );

    let built = Built::of(INLINE);
    let page = built.open(&browser);
    page.wait_for(
        "document.getElementById('out')?.textContent === 'hi from tiny'",
        "the built inline module to run",
    );
}

#[test]
fn a_site_in_a_workspace_loads_packages_from_the_workspace_root_and_nothing_above() {
    let outer = site(&[
        (
            "node_modules/secret/package.json",
            r#"{"name": "secret", "type": "module", "exports": "./index.js"}"#,
        ),
        (
            "node_modules/secret/index.js",
            "export const secret = 'outside the workspace';\n",
        ),
        (
            "ws/package.json",
            r#"{"private": true, "workspaces": ["apps/*"]}"#,
        ),
        (
            "ws/node_modules/tiny/package.json",
            r#"{"name": "tiny", "type": "module", "exports": "./index.js"}"#,
        ),
        (
            "ws/node_modules/tiny/index.js",
            "export const hello = () => 'hi from the workspace';\n",
        ),
        ("ws/apps/web/package.json", r#"{"name": "web"}"#),
        (
            "ws/apps/web/index.html",
            "<!doctype html><div id=out></div><div id=secret></div><script type=module src=/main.js></script>",
        ),
        (
            "ws/apps/web/main.js",
            "import { hello } from 'tiny';\n\
             document.getElementById('out').textContent = hello();\n\
             import('secret').then((m) => { document.getElementById('secret').textContent = m.secret; }, \
             () => { document.getElementById('secret').textContent = 'refused'; });\n",
        ),
    ]);
    let app = outer.path().join("ws/apps/web");
    let site = util::run_at(outer, &app);
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for(
        "document.getElementById('out')?.textContent === 'hi from the workspace'",
        "the workspace's package to load",
    );
    page.wait_for(
        "document.getElementById('secret')?.textContent === 'refused'",
        "the package above the workspace to be refused",
    );
    let web = testkit::site(&[
        (
            "ws/package.json",
            r#"{"private": true, "workspaces": ["apps/*"]}"#,
        ),
        (
            "ws/node_modules/tiny/package.json",
            r#"{"name": "tiny", "type": "module", "exports": "./index.js"}"#,
        ),
        (
            "ws/node_modules/tiny/index.js",
            "export const hello = () => 'hi from the workspace';\n",
        ),
        (
            "ws/apps/web/index.html",
            "<!doctype html><div id=out></div><script type=module src=/main.js></script>",
        ),
        (
            "ws/apps/web/main.js",
            "import { hello } from 'tiny';\ndocument.getElementById('out').textContent = hello();\n",
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    build(&web.path().join("ws/apps/web"), out.path());
    let host = static_host(out.path());
    let built = browser.open(&format!("{}/", host.url));
    built.wait_for(
        "document.getElementById('out')?.textContent === 'hi from the workspace'",
        "the built app to run",
    );
    for path in [
        "/__hotplate/npm/node_modules/secret/index.js",
        "/__hotplate/npm/../node_modules/secret/index.js",
        "/__hotplate/npm/%2E%2E/node_modules/secret/index.js",
    ] {
        let reply = testkit::http_get(&format!("{}{path}", site.url), &[]);
        assert_ne!(reply.status, 200, "{path}");
    }
}

#[test]
fn vue_svelte_and_solid_get_an_overlay_that_says_why_and_the_build_says_it_too() {
    let files: &[(&str, &str)] = &[
        (
            "index.html",
            "<!doctype html><div id=app></div><script type=module src=/src/main.ts></script>",
        ),
        (
            "src/main.ts",
            "import App from './App.vue';\nconsole.log(App);\n",
        ),
        ("src/App.vue", "<template><p>hi</p></template>\n"),
        (
            "solid/index.html",
            "<!doctype html><script type=module src=/solid/main.tsx></script>",
        ),
        (
            "solid/tsconfig.json",
            r#"{"compilerOptions": {"jsx": "preserve", "jsxImportSource": "solid-js"}}"#,
        ),
        ("solid/main.tsx", "export const App = () => <p>hi</p>;\n"),
        (
            "svelte/index.html",
            "<!doctype html><script type=module src=/svelte/main.js></script>",
        ),
        (
            "svelte/main.js",
            "import Counter from './Counter.svelte';\nconsole.log(Counter);\n",
        ),
        ("svelte/Counter.svelte", "<button>0</button>\n"),
    ];
    let site = run_dir(site(files), |_| {});
    let browser = Browser::launch();
    for (page_url, file, compiler) in [
        ("/", "App.vue", "@vue/compiler-sfc"),
        ("/solid/", "solid/main.tsx", "babel-preset-solid"),
        ("/svelte/", "Counter.svelte", "svelte/compiler"),
    ] {
        let page = browser.open(&format!("{}{page_url}", site.url));
        let overlay = page.wait_for_overlay();
        assert!(overlay.contains(file), "{page_url}: {overlay}");
        assert!(overlay.contains(compiler), "{page_url}: {overlay}");
    }
    let reply = testkit::http_get(&format!("{}/src/App.vue?import", site.url), &[]);
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8"),
        "never application/octet-stream"
    );

    let dir = testkit::site(files);
    let out = tempfile::tempdir().unwrap();
    let err = hotplate::build::build(
        &hotplate::build::Options {
            root: dir.path().to_path_buf(),
            out: Some(out.path().to_path_buf()),
            ..hotplate::build::Options::default()
        },
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("@vue/compiler-sfc")
            || err.contains("babel-preset-solid")
            || err.contains("svelte/compiler"),
        "{err}"
    );
}
