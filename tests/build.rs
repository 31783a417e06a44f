//! `hotplate build`: a site becomes a folder any static host serves.
//!
//! Each test writes a small site, builds it, and reads the output as a static host would:
//! pages as folder indexes, fingerprinted assets, bundles that run, `.br`/`.gz` variants, the
//! same bytes for the same inputs, and a failed build that leaves the last one whole. The
//! bundles run in Chromium, served by tower-http's plain `ServeDir`.

mod util;

use hotplate::build::{self, BuildError, Built, Options};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use testkit::Browser;

use testkit::{site, write};
use util::static_host;

fn build_at(root: &Path, out: &Path) -> Result<Built, BuildError> {
    build::build(
        &Options {
            root: root.to_path_buf(),
            out: Some(out.to_path_buf()),
            ..Options::default()
        },
        &|_| {},
    )
}

/// Builds `root` into its `dist/`, which must succeed.
fn built(root: &Path) -> Built {
    build::build(
        &Options {
            root: root.to_path_buf(),
            ..Options::default()
        },
        &|_| {},
    )
    .unwrap_or_else(|err| panic!("the build failed: {err}"))
}

fn read(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name))
        .unwrap_or_else(|e| panic!("{name} in the build: {e} (it holds {:?})", files(out)))
}

/// Every file of a build, by path.
fn files(out: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(out).unwrap().to_string_lossy();
                found.push(relative.replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// The one file of `out` whose path matches `prefix` + 8 hex digits + `suffix`.
fn fingerprinted(out: &Path, prefix: &str, suffix: &str) -> String {
    let matching: Vec<String> = files(out)
        .into_iter()
        .filter(|f| {
            f.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
                .is_some_and(|hash| hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one {prefix}<hash>{suffix} in {:?}",
        files(out)
    );
    matching[0].clone()
}

const LAYOUT: &str = r#"<!doctype html><html><head><title>{{ title }}</title>
<link rel="stylesheet" href="/style.css?v={{ version }}"></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/blog">Blog</a></nav>
{% block main %}{% endblock %}</body></html>"#;

fn blog() -> tempfile::TempDir {
    site(&[
        ("layouts/base.html", LAYOUT),
        (
            "pages/index.html",
            r#"{% extends "layouts/base.html" %}{% block main %}<h1>Home</h1>
<p>version {{ version }}</p><a href="/plain.html">plain</a>{% endblock %}"#,
        ),
        (
            "pages/about.html",
            r#"{% extends "layouts/base.html" %}{% block main %}<h1>About {{ path }}</h1>{% endblock %}"#,
        ),
        (
            "pages/blog/index.html",
            r#"{% extends "layouts/base.html" %}{% block main %}<ul>
{% for post in content_list("blog") if not post.meta.draft %}<li><a href="/blog/{{ post.slug }}">{{ post.meta.title }}</a></li>{% endfor %}
</ul>{% endblock %}"#,
        ),
        (
            "pages/blog/[slug].html",
            r#"{% extends "layouts/base.html" %}{% block main %}{% set post = content("blog/" ~ params.slug) %}
<h1>{{ post.meta.title }}</h1>{{ post.html }}{% endblock %}"#,
        ),
        (
            "pages/404.html",
            r#"{% extends "layouts/base.html" %}{% block main %}<h1>Not here</h1>{% endblock %}"#,
        ),
        ("content/blog/first.md", "---\ntitle: First\n---\nOne."),
        ("content/blog/second.md", "---\ntitle: Second\n---\nTwo."),
        (
            "content/blog/draft.md",
            "---\ntitle: Draft\ndraft: true\n---\nNobody links here.",
        ),
        ("style.css", "body { color: #333333; }\n"),
        (
            "public/plain.html",
            "<p>as it is <a href=\"/about\">about</a></p>",
        ),
        ("public/robots.txt", "User-agent: *\n"),
    ])
}

#[test]
fn every_reachable_page_is_written_as_a_folder_index() {
    let dir = blog();
    let built = built(dir.path());
    let out = dir.path().join("dist");
    let pages: Vec<String> = files(&out)
        .into_iter()
        .filter(|f| f.ends_with(".html"))
        .collect();
    assert_eq!(
        pages,
        [
            "404.html",
            "about/index.html",
            "blog/first/index.html",
            "blog/index.html",
            "blog/second/index.html",
            "index.html",
            "plain.html",
        ],
        "the [slug] page is built for each slug a page links to, and only those"
    );
    assert_eq!(built.pages, 7);
    // `path` as in dev (minijinja escapes the slash in HTML).
    assert!(read(&out, "about/index.html").contains("<h1>About &#x2f;about</h1>"));
    assert!(read(&out, "blog/second/index.html").contains("<p>Two.</p>"));
    assert!(read(&out, "404.html").contains("<h1>Not here</h1>"));
    assert_eq!(
        read(&out, "plain.html"),
        "<p>as it is <a href=\"/about\">about</a></p>"
    );
    assert_eq!(
        read(&out, "robots.txt"),
        "User-agent: *\n",
        "public/ is copied"
    );
    for page in ["index.html", "about/index.html"] {
        assert!(
            !read(&out, page).contains("__hotplate"),
            "{page} has no client runtime"
        );
    }
}

#[test]
fn pages_render_as_in_dev_with_a_version_that_follows_the_inputs() {
    let dir = blog();
    built(dir.path());
    let out = dir.path().join("dist");
    let version = |out: &Path| {
        let home = read(out, "index.html");
        let at = home.find("version ").unwrap() + "version ".len();
        home[at..at + 8].to_string()
    };
    let first = version(&out);
    built(dir.path());
    assert_eq!(
        version(&out),
        first,
        "the same inputs give the same version"
    );
    write(
        dir.path(),
        "content/blog/draft.md",
        "---\ntitle: Draft\n---\nEdited.",
    );
    built(dir.path());
    assert_ne!(
        version(&out),
        first,
        "any input changed gives another version"
    );
}

#[test]
fn links_that_nothing_answers_are_reported_with_their_page_and_fail_a_strict_build() {
    let dir = site(&[
        (
            "pages/index.html",
            r##"<a href="/about">about</a> <a href="/gone">gone</a> <img src="/missing.png">
<a href="https://example.com/elsewhere">out</a> <a href="#top">top</a> <a href="mailto:a@b.c">mail</a>"##,
        ),
        (
            "pages/about.html",
            r#"<a href="/blog/nope">nope</a><link rel="stylesheet" href="/style.css">"#,
        ),
        ("style.css", "body { background: url(img/none.png) }"),
    ]);
    let built = built(dir.path());
    let broken: Vec<(String, String)> = built
        .broken
        .iter()
        .map(|b| (b.page.clone(), b.url.clone()))
        .collect();
    assert_eq!(
        broken,
        [
            ("/".to_string(), "/gone".to_string()),
            ("/".to_string(), "/missing.png".to_string()),
            ("/about".to_string(), "/blog/nope".to_string()),
            ("/style.css".to_string(), "/img/none.png".to_string()),
        ]
    );
    let strict = build::build(
        &Options {
            root: dir.path().to_path_buf(),
            out: Some(dir.path().join("strict")),
            strict: true,
            ..Options::default()
        },
        &|_| {},
    );
    match strict {
        Err(BuildError::Broken(links)) => assert_eq!(links.len(), 4),
        other => panic!("--strict fails on broken links, got {other:?}"),
    }
    assert!(!dir.path().join("strict").exists(), "nothing is written");
}

#[test]
fn assets_get_fingerprints_that_change_exactly_with_their_content() {
    let dir = site(&[
        (
            "pages/index.html",
            r#"<!doctype html><html><head>
<link rel="stylesheet" href="/css/style.css?v={{ version }}">
<link rel="icon" href="/favicon.svg">
<meta property="og:image" content="{{ asset('/img/og.png') }}">
</head><body><img src="img/photo.png" srcset="/img/photo.png 1x, /img/photo@2x.png 2x">
<div style="background: url('/img/tile.png')"></div>
<img src="/logo.svg"></body></html>"#,
        ),
        (
            "css/style.css",
            "@import './base.css';\n.hero { background: url(../img/tile.png); }\n",
        ),
        ("css/base.css", "body { margin: 0; }\n"),
        ("img/photo.png", "photo"),
        ("img/photo@2x.png", "photo at 2x"),
        ("img/tile.png", "tile"),
        ("img/og.png", "og"),
        ("favicon.svg", "<svg/>"),
        ("public/logo.svg", "<svg>logo</svg>"),
    ]);
    built(dir.path());
    let out = dir.path().join("dist");
    let css = fingerprinted(&out, "css/style.", ".css");
    let tile = fingerprinted(&out, "img/tile.", ".png");
    let photo = fingerprinted(&out, "img/photo.", ".png");
    let photo2x = fingerprinted(&out, "img/photo@2x.", ".png");
    let og = fingerprinted(&out, "img/og.", ".png");
    let icon = fingerprinted(&out, "favicon.", ".svg");
    let home = read(&out, "index.html");
    for (url, what) in [
        (&css, "the stylesheet, its ?v= dropped"),
        (&icon, "the icon"),
        (&og, "what asset() named"),
        (&tile, "the inline style's url()"),
        (&photo2x, "a srcset candidate"),
    ] {
        assert!(
            home.contains(&format!("/{url}")),
            "{what}: /{url} in {home}"
        );
    }
    assert!(
        home.contains(&format!("src=\"/{photo}\"")),
        "a relative src too: {home}"
    );
    assert!(
        home.contains("src=\"/logo.svg\""),
        "public/ keeps its names"
    );
    assert!(!home.contains("?v="), "{home}");
    assert_eq!(read(&out, &tile), "tile");
    let style = read(&out, &css);
    assert_eq!(
        style,
        format!("body{{margin:0}}.hero{{background:url(\"/{tile}\")}}"),
        "@import inlined, minified, url() fingerprinted"
    );

    // An edit to what the stylesheet imports changes its name, and nothing else's.
    write(dir.path(), "css/base.css", "body { margin: 1px; }\n");
    built(dir.path());
    assert_ne!(fingerprinted(&out, "css/style.", ".css"), css);
    assert_eq!(fingerprinted(&out, "img/tile.", ".png"), tile);
    assert_eq!(fingerprinted(&out, "img/photo.", ".png"), photo);
    // An edit to an image changes its name, and the name of the stylesheet that names it.
    let css = fingerprinted(&out, "css/style.", ".css");
    write(dir.path(), "img/tile.png", "another tile");
    built(dir.path());
    assert_ne!(fingerprinted(&out, "img/tile.", ".png"), tile);
    assert_ne!(fingerprinted(&out, "css/style.", ".css"), css);
    assert_eq!(fingerprinted(&out, "img/photo.", ".png"), photo);
}

fn app() -> tempfile::TempDir {
    site(&[
        (
            "pages/index.html",
            r#"<!doctype html><html><head><title>one</title></head><body><p id="out"></p>
<script type="module" src="/src/one.ts"></script></body></html>"#,
        ),
        (
            "pages/two.html",
            r#"<!doctype html><html><head><title>two</title>
<link rel="modulepreload" href="/src/extra.ts"></head><body><p id="out"></p>
<script type="module" src="/src/two.tsx"></script></body></html>"#,
        ),
        (
            "src/one.ts",
            r#"import { shout } from './shared';
import './one.css';
import logo from './logo.svg';
const mode: string = process.env.NODE_ENV;
if (import.meta.hot) {
  import.meta.hot.accept(() => console.log('HOT BRANCH KEPT'));
}
const icon = new URL('./icon.png', import.meta.url);
document.getElementById('out')!.textContent = shout('one') + ' ' + mode + ' ' + logo;
document.getElementById('out')!.dataset.icon = icon.pathname;
"#,
        ),
        (
            "src/two.tsx",
            r#"import { shout } from './shared';
const h = (tag: string, _props: unknown, ...children: string[]) => `<${tag}>${children.join('')}</${tag}>`;
document.getElementById('out')!.innerHTML = <b>{shout('two')}</b>;
"#,
        ),
        (
            "pages/three.html",
            r#"<!doctype html><html><head><title>three</title></head><body><p id="out"></p>
<script type="module">import { shout } from '/src/shared.ts';
import './three.css';
document.getElementById('out').textContent = shout('three');</script></body></html>"#,
        ),
        ("three.css", "p { margin: 0 }"),
        ("src/extra.ts", "export const extra: number = 1;\n"),
        (
            "src/shared.ts",
            "export function shout(word: string): string {\n  return word.toUpperCase() + '!';\n}\n",
        ),
        ("src/one.css", "#out { color: rgb(255, 0, 0); }\n"),
        (
            "src/logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        ("src/icon.png", "an icon"),
        (
            "tsconfig.json",
            r#"{ "compilerOptions": { "jsx": "react", "jsxFactory": "h" } }"#,
        ),
    ])
}

#[test]
fn module_scripts_are_bundled_split_minified_and_mapped_for_production() {
    let dir = app();
    built(dir.path());
    let out = dir.path().join("dist");
    let one = fingerprinted(&out, "src/one.", ".js");
    let two = fingerprinted(&out, "src/two.", ".js");
    let code = read(&out, &one);
    assert!(
        !code.contains("HOT BRANCH KEPT"),
        "import.meta.hot's branch is gone: {code}"
    );
    assert!(
        code.contains("production"),
        "NODE_ENV is production: {code}"
    );
    assert!(!code.contains(": string"), "types are stripped: {code}");
    assert!(
        code.lines().count() <= 3,
        "minified: {} lines",
        code.lines().count()
    );
    assert!(code.ends_with(&format!(
        "//# sourceMappingURL={}.map",
        one.rsplit('/').next().unwrap()
    )));
    let map: serde_json::Value = serde_json::from_str(&read(&out, &format!("{one}.map"))).unwrap();
    assert!(
        map["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("one.ts")),
        "{map}"
    );
    // The module both pages use is one shared chunk, which each page preloads.
    let shared: Vec<String> = files(&out)
        .into_iter()
        .filter(|f| f.starts_with("assets/") && f.ends_with(".js"))
        .collect();
    assert_eq!(shared.len(), 1, "one shared chunk: {:?}", files(&out));
    for (page, entry) in [("index.html", &one), ("two/index.html", &two)] {
        let html = read(&out, page);
        assert!(
            html.contains(&format!("<script type=\"module\" src=\"/{entry}\">")),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "<link rel=\"modulepreload\" href=\"/{}\">",
                shared[0]
            )),
            "{page} preloads the shared chunk: {html}"
        );
        let preload = html.find("rel=\"modulepreload\"").unwrap();
        assert!(
            preload < html.find("</head>").unwrap(),
            "in <head>, as Vite puts it: {html}"
        );
    }
    // A module the page preloads is preloaded as built, never as its source.
    let two_html = read(&out, "two/index.html");
    let extra = fingerprinted(&out, "src/extra.", ".js");
    assert!(
        two_html.contains(&format!("<link rel=\"modulepreload\" href=\"/{extra}\">")),
        "{two_html}"
    );
    // The stylesheet a module imports is linked by the page; the image is a URL.
    let css = fingerprinted(&out, "src/one.", ".css");
    assert!(
        read(&out, "index.html").contains(&format!("<link rel=\"stylesheet\" href=\"/{css}\">"))
    );
    let logo = fingerprinted(&out, "src/logo.", ".svg");
    assert!(code.contains(&format!("/{logo}")), "{code}");
    let icon = fingerprinted(&out, "src/icon.", ".png");
    assert!(
        code.contains(&format!("new URL(`/{icon}`,import.meta.url)"))
            || code.contains(&format!("new URL(\"/{icon}\",import.meta.url)")),
        "new URL(…, import.meta.url) names the fingerprinted file: {code}"
    );
}

#[test]
fn a_built_app_runs_in_chromium_from_a_plain_static_host() {
    let dir = app();
    built(dir.path());
    let host = static_host(&dir.path().join("dist"));
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", host.url));
    let text = page.wait_for(
        "document.getElementById('out')?.textContent || false",
        "the bundle to run",
    );
    let text = text.as_str().unwrap();
    assert!(text.starts_with("ONE! production /src/logo."), "{text}");
    let icon = page.eval("document.getElementById('out').dataset.icon");
    let icon = icon.as_str().unwrap();
    assert!(
        icon.starts_with("/src/icon.") && icon.ends_with(".png"),
        "{icon}"
    );
    assert_eq!(
        page.eval(&format!("fetch({icon:?}).then((r) => r.text())")),
        "an icon",
        "the URL new URL() made answers"
    );
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('out')).color"),
        "rgb(255, 0, 0)",
        "the stylesheet the module imports applies"
    );
    page.goto(&format!("{}/two", host.url));
    page.wait_for(
        "document.getElementById('out')?.innerHTML === '<b>TWO!</b>'",
        "the second page's bundle, with its JSX, to run",
    );
    // An inline module script is bundled as an entry of its own, as Vite does.
    let three = read(&dir.path().join("dist"), "three/index.html");
    assert!(
        !three.contains("shout("),
        "its code moved into a chunk: {three}"
    );
    assert!(
        three.contains("<script type=\"module\" src=\"/three/index-inline0."),
        "{three}"
    );
    assert!(
        three.contains("<link rel=\"stylesheet\" href=\"/three."),
        "what it imports is linked: {three}"
    );
    page.goto(&format!("{}/three", host.url));
    page.wait_for(
        "document.getElementById('out')?.textContent === 'THREE!'",
        "the inline module's bundle to run",
    );
}

#[test]
fn the_react_example_builds_and_runs_from_a_static_host() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/react-ts");
    assert!(
        example.join("node_modules").is_dir(),
        "run `npm ci` in examples/react-ts first (scripts/test does)"
    );
    let out = tempfile::tempdir().unwrap();
    build_at(&example, out.path()).unwrap_or_else(|err| panic!("{err}"));
    let code = read(out.path(), &fingerprinted(out.path(), "src/main.", ".js"));
    assert!(
        !code.contains("react-dom.development") && !code.contains("jsxDEV"),
        "React's production build is bundled"
    );
    assert!(
        !code.contains("__hotplateRefresh") && !code.contains("react-refresh"),
        "no Fast Refresh in what ships"
    );
    let host = static_host(out.path());
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", host.url));
    page.wait_for(
        "document.getElementById('count')?.textContent === 'count is 0'",
        "the app to render",
    );
    page.eval(
        "document.getElementById('count').click(); document.getElementById('count').click(); true",
    );
    page.wait_for(
        "document.getElementById('count')?.textContent === 'count is 2'",
        "its hooks to work",
    );
}

#[test]
fn the_lit_example_builds_with_hotplates_decorator_helper_and_runs_from_a_static_host() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lit-ts");
    assert!(
        example.join("node_modules").is_dir(),
        "run `npm ci` in examples/lit-ts first (scripts/test does)"
    );
    assert!(
        !example.join("node_modules/@oxc-project").exists(),
        "the example has no helper package: hotplate answers the import itself"
    );
    let out = tempfile::tempdir().unwrap();
    build_at(&example, out.path()).unwrap_or_else(|err| panic!("{err}"));
    let code = read(
        out.path(),
        &fingerprinted(out.path(), "src/my-element.", ".js"),
    );
    assert!(!code.contains("@oxc-project"), "the helper is bundled");
    let host = static_host(out.path());
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", host.url));
    let button = "document.querySelector('my-element')?.shadowRoot?.querySelector('button')";
    page.wait_for(
        &format!("{button}?.textContent.trim() === 'Count is 0'"),
        "the element to render",
    );
    page.eval(&format!("{button}.click(); true"));
    page.wait_for(
        &format!("{button}?.textContent.trim() === 'Count is 1'"),
        "its decorated property to update it",
    );
}

#[test]
fn text_files_over_a_kilobyte_get_brotli_and_gzip_variants_beside_them() {
    let long = format!("<p>{}</p>", "words and more words ".repeat(100));
    let dir = site(&[
        ("pages/index.html", long.as_str()),
        ("pages/small.html", "<p>small</p>"),
        ("public/photo.png", &"x".repeat(5000)),
    ]);
    built(dir.path());
    let out = dir.path().join("dist");
    let original = std::fs::read(out.join("index.html")).unwrap();
    let mut plain = Vec::new();
    brotli::Decompressor::new(&std::fs::read(out.join("index.html.br")).unwrap()[..], 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, original);
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&std::fs::read(out.join("index.html.gz")).unwrap()[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, original);
    let all = files(&out);
    assert!(!all.contains(&"small/index.html.br".to_string()), "{all:?}");
    assert!(!all.contains(&"photo.png.gz".to_string()), "{all:?}");

    // A static host sends the variant the browser accepts.
    let host = static_host(&out);
    let reply = std::process::Command::new("curl")
        .args([
            "-s",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            "Accept-Encoding: br",
        ])
        .arg(format!("{}/", host.url))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&reply.stdout).to_ascii_lowercase();
    assert!(head.contains("content-encoding: br"), "{head}");
}

#[test]
fn the_same_inputs_give_byte_identical_output() {
    let dir = app();
    write(
        dir.path(),
        "pages/about.html",
        "<link rel=stylesheet href=/src/one.css><a href=/>home</a>",
    );
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    build_at(dir.path(), &first.path().join("out")).unwrap();
    build_at(dir.path(), &second.path().join("out")).unwrap();
    let contents = |out: &Path| -> BTreeMap<String, Vec<u8>> {
        files(out)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(out.join(&f)).unwrap()))
            .collect()
    };
    let (a, b) = (
        contents(&first.path().join("out")),
        contents(&second.path().join("out")),
    );
    assert!(a.len() > 5, "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two builds");
    }
}

#[test]
fn a_page_that_fails_to_render_stops_the_build_and_leaves_the_last_one_whole() {
    let dir = blog();
    built(dir.path());
    let out = dir.path().join("dist");
    let before = files(&out);
    write(
        dir.path(),
        "pages/about.html",
        "{% extends \"layouts/base.html\" %}\n{% block main %}\n{{ 1 + }}\n{% endblock %}",
    );
    let err = build_at(dir.path(), &out).unwrap_err();
    let report = err.report().expect("a report with file and line");
    assert_eq!(report.file.as_deref(), Some("pages/about.html"));
    assert_eq!(report.line, Some(3));
    assert!(report.frame.contains("{{ 1 + }}"), "{}", report.frame);
    assert_eq!(files(&out), before, "the last build is whole");
    let beside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        beside.is_empty(),
        "no half-written folder is left: {beside:?}"
    );
}

#[test]
fn the_command_exits_with_status_1_and_shows_the_code_frame() {
    let dir = blog();
    write(dir.path(), "pages/about.html", "<p>\n{{ broken( }}\n</p>");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("build")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pages/about.html:2"), "{stderr}");
    assert!(stderr.contains("{{ broken( }}"), "the code frame: {stderr}");

    write(
        dir.path(),
        "pages/about.html",
        &"<p>fixed</p>\n".repeat(100),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("build")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("dist/about/index.html"),
        "the report lists each file: {stdout}"
    );
    assert!(stdout.contains("gzip:"), "{stdout}");
    assert!(stdout.contains("pages,"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rendered"), "progress as it goes: {stderr}");
}

/// `hotplate build --manifest root`, which must succeed.
fn build_manifest(root: &Path) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args(["build", "--manifest"])
        .arg(root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_manifest_build_makes_the_asset_folders_and_says_what_each_source_became() {
    let dir = site(&[
        (
            "static/js/main.ts",
            "import { shout } from './shared';\nimport './main.css';\nconsole.log(shout('main'));\n",
        ),
        (
            "static/js/admin.ts",
            "import { shout } from './shared';\nconsole.log(shout('admin'));\n",
        ),
        (
            "static/js/shared.ts",
            "export const shout = (s: string) => s.toUpperCase();\n",
        ),
        ("static/js/main.css", "body { color: red; }\n"),
        ("static/css/site.css", "h1 { color: blue; }\n"),
        (
            "templates/page.html",
            "<script src=\"{{ asset('/static/js/main.ts') }}\"></script>",
        ),
        (
            "hotplate.toml",
            "[build]\nentries = [\"static/js/main.ts\", \"static/js/admin.ts\", \"static/css/site.css\"]\n",
        ),
    ]);
    build_manifest(dir.path());
    let out = dir.path().join("dist");
    let manifest: serde_json::Value = serde_json::from_str(&read(&out, "manifest.json")).unwrap();
    let main = &manifest["static/js/main.ts"];
    let file = main["file"].as_str().unwrap();
    assert_eq!(file, fingerprinted(&out, "static/js/main.", ".js"));
    assert_eq!(main["src"], "static/js/main.ts");
    assert_eq!(main["isEntry"], true);
    let shared = main["imports"][0].as_str().unwrap();
    assert!(shared.starts_with('_'), "a shared chunk's key: {shared}");
    assert!(
        out.join(manifest[shared]["file"].as_str().unwrap())
            .is_file()
    );
    assert_eq!(manifest["static/js/admin.ts"]["imports"][0], shared);
    let css = main["css"][0].as_str().unwrap();
    assert_eq!(read(&out, css), "body{color:red}");
    let site_css = manifest["static/css/site.css"]["file"].as_str().unwrap();
    assert_eq!(read(&out, site_css), "h1{color:#00f}");
    assert!(
        !out.join("index.html").exists(),
        "no pages: the backend renders its own"
    );

    // hotplate::Templates' asset() reads it when no layer is on.
    let templates = hotplate::Templates::new(dir.path().join("templates"))
        .with_manifest(out.join("manifest.json"))
        .unwrap();
    let page = templates.render("page.html", ()).unwrap();
    assert_eq!(page.html(), format!("<script src=\"/{file}\"></script>"));

    // Without `[build] entries`, every script and stylesheet of the asset folders is one.
    std::fs::remove_file(dir.path().join("hotplate.toml")).unwrap();
    build_manifest(dir.path());
    let manifest: serde_json::Value = serde_json::from_str(&read(&out, "manifest.json")).unwrap();
    for source in [
        "static/js/main.ts",
        "static/js/admin.ts",
        "static/js/shared.ts",
        "static/js/main.css",
        "static/css/site.css",
    ] {
        assert_eq!(manifest[source]["isEntry"], true, "{source} in {manifest}");
    }
}

#[test]
fn a_crawl_that_finds_ever_new_urls_stops_with_an_error_that_says_why() {
    let dir = site(&[
        ("pages/index.html", "<a href=\"/page/1\">next</a>"),
        (
            "pages/page/[n].html",
            "<a href=\"/page/{{ params.n | int + 1 }}\">next</a>",
        ),
    ]);
    let started = std::time::Instant::now();
    let result = build::build(
        &Options {
            root: dir.path().to_path_buf(),
            max_pages: 200,
            ..Options::default()
        },
        &|_| {},
    );
    match result {
        Err(BuildError::TooManyPages { max, url, from }) => {
            assert_eq!(max, 200);
            assert!(url.starts_with("/page/"), "{url}");
            assert!(from.starts_with("/page/"), "{from}");
        }
        other => panic!("the crawl stops, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(!dir.path().join("dist").exists(), "nothing is written");
}

#[test]
fn a_module_that_does_not_parse_stops_the_build_with_its_file_line_and_frame() {
    let dir = site(&[
        (
            "pages/index.html",
            "<script type=\"module\" src=\"/src/main.ts\"></script>",
        ),
        ("src/main.ts", "const x: number = 1;\nexport const y = (;\n"),
    ]);
    let err = build_at(dir.path(), &dir.path().join("dist")).unwrap_err();
    let report = err.report().expect("a report with file and line");
    assert_eq!(report.file.as_deref(), Some("src/main.ts"));
    assert_eq!(report.line, Some(2));
    assert!(
        report.frame.contains("export const y = (;"),
        "{}",
        report.frame
    );
    assert!(
        !err.to_string().contains("backtrace"),
        "said plainly: {err}"
    );

    // A JavaScript module rolldown reads itself: its diagnostic names the file and line.
    write(
        dir.path(),
        "pages/index.html",
        "<script type=\"module\" src=\"/src/plain.js\"></script>",
    );
    write(
        dir.path(),
        "src/plain.js",
        "let z = 1;\nconsole.log(z +);\n",
    );
    let err = build_at(dir.path(), &dir.path().join("dist")).unwrap_err();
    assert!(err.to_string().contains("src/plain.js:2"), "{err}");
}
