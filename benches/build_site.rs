//! `hotplate build` against Hugo and Eleventy on the same 1,000-post Markdown site, in one run.
//!
//! Run: `cargo bench --bench build_site` (add `-- 7` for 7 rounds; default 5). It writes the
//! site three times, once in each tool's layout, with the same pages: a layout with a nav, an
//! index that links every post, and 1,000 posts of a heading, six paragraphs and a list. Hugo
//! is Debian's `hugo` (installed with apt when missing and running as root); Eleventy 3 is
//! installed with npm into its copy (`npm install @11ty/eleventy@3`).
//!
//! Each round builds with each tool in turn, from a fresh output folder, and times the whole
//! command (start to exit), so every tool pays its own start-up. hotplate's figure includes
//! writing a `.br` and a `.gz` beside every page; the others write none. The ratio is
//! hotplate's median over the other's.

mod common;
use common::{median, npm};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const POSTS: usize = 1000;
const ELEVENTY: &str = "@11ty/eleventy@3";

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let hotplate_site = tempfile::tempdir().unwrap();
    let hugo_site = tempfile::tempdir().unwrap();
    let eleventy_site = tempfile::tempdir().unwrap();
    write_hotplate(hotplate_site.path());
    write_hugo(hugo_site.path());
    write_eleventy(eleventy_site.path());
    ensure_hugo();
    npm(
        eleventy_site.path(),
        &[
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            ELEVENTY,
        ],
    );
    let hotplate = env!("CARGO_BIN_EXE_hotplate");
    let eleventy = eleventy_site
        .path()
        .join("node_modules/@11ty/eleventy/cmd.cjs");
    let tools: Vec<Tool> = vec![
        (
            "hotplate build",
            Box::new(|| {
                let mut c = Command::new(hotplate);
                c.args(["build", "."]);
                c
            }),
            hotplate_site.path(),
            "dist",
        ),
        (
            "hugo",
            Box::new(|| {
                let mut c = Command::new("hugo");
                c.args(["--quiet", "--destination", "public"]);
                c
            }),
            hugo_site.path(),
            "public",
        ),
        (
            "eleventy 3",
            Box::new(|| {
                let mut c = Command::new("node");
                c.arg(&eleventy).args(["--quiet", "--output=_site"]);
                c
            }),
            eleventy_site.path(),
            "_site",
        ),
    ];
    // A warm-up each (disk caches, Node's compile cache), then the rounds, interleaved.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); tools.len()];
    for round in 0..=rounds {
        for (i, (name, command, dir, out)) in tools.iter().enumerate() {
            let _ = std::fs::remove_dir_all(dir.join(out));
            let started = Instant::now();
            let output = command()
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let took = started.elapsed().as_secs_f64();
            assert!(
                output.status.success(),
                "{name} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            if round > 0 {
                times[i].push(took);
            }
        }
    }
    for (i, (name, _, dir, out)) in tools.iter().enumerate() {
        let pages = count_pages(&dir.join(out));
        assert!(pages > POSTS, "{name} wrote {pages} pages");
        let _ = i;
    }
    println!("\nbuild a {POSTS}-post Markdown site ({rounds} rounds, wall time, median)");
    let ours = median(&times[0]);
    for (i, (name, _, dir, out)) in tools.iter().enumerate() {
        let m = median(&times[i]);
        let (min, max) = (
            times[i].iter().copied().fold(f64::MAX, f64::min),
            times[i].iter().copied().fold(0.0, f64::max),
        );
        println!(
            "  {name:<16} {m:>7.3} s  (min {min:.3}, max {max:.3})  {} pages{}",
            count_pages(&dir.join(out)),
            if i == 0 {
                String::new()
            } else {
                format!("  hotplate = {:.2}×", ours / m)
            }
        );
    }
}

/// A tool's name, how to start it, the site it builds, and its output folder.
type Tool<'a> = (&'a str, Box<dyn Fn() -> Command + 'a>, &'a Path, &'a str);

fn count_pages(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                count += 1;
            }
        }
    }
    count
}

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const STYLE: &str =
    "body { font: 16px/1.6 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; }\n";

/// Post `n`'s Markdown body: a heading, six paragraphs and a list.
fn body(n: usize) -> String {
    let mut text = format!("## Notes on topic {n}\n\n");
    for p in 0..6 {
        text.push_str(&format!(
            "Paragraph {p} of post {n}. The quick brown fox jumps over the lazy dog, again and \
             again, while *someone* writes **Markdown** with [a link](https://example.com/{n}/{p}) \
             and `some code` in it, so that the renderer has a little of everything to do.\n\n"
        ));
    }
    for item in 0..5 {
        text.push_str(&format!("- item {item} of post {n}\n"));
    }
    text
}

fn write_hotplate(root: &Path) {
    write(
        root,
        "layouts/base.html",
        "<!doctype html><html><head><meta charset=utf-8><title>{% block title %}{% endblock %}</title>\
         <link rel=stylesheet href=\"/style.css\"></head><body><nav><a href=\"/\">Home</a></nav>\
         <main>{% block main %}{% endblock %}</main></body></html>\n",
    );
    write(
        root,
        "pages/index.html",
        "{% extends \"layouts/base.html\" %}{% block title %}Blog{% endblock %}{% block main %}\
         <h1>Blog</h1><ul>{% for post in content_list(\"posts\") %}\
         <li><a href=\"/posts/{{ post.slug }}\">{{ post.meta.title }}</a></li>{% endfor %}</ul>\
         {% endblock %}\n",
    );
    write(
        root,
        "pages/posts/[slug].html",
        "{% extends \"layouts/base.html\" %}{% set post = content(\"posts/\" ~ params.slug) %}\
         {% block title %}{{ post.meta.title }}{% endblock %}{% block main %}\
         <article><h1>{{ post.meta.title }}</h1>{{ post.html }}</article>{% endblock %}\n",
    );
    write(root, "style.css", STYLE);
    for n in 0..POSTS {
        write(
            root,
            &format!("content/posts/post-{n:04}.md"),
            &format!("---\ntitle: Post {n}\n---\n{}", body(n)),
        );
    }
}

fn write_hugo(root: &Path) {
    write(
        root,
        "hugo.toml",
        "baseURL = \"http://example.org/\"\ntitle = \"Blog\"\n\
         disableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\", \"section\", \"404\", \"robotsTXT\"]\n",
    );
    write(
        root,
        "layouts/_default/baseof.html",
        "<!doctype html><html><head><meta charset=utf-8><title>{{ block \"title\" . }}{{ end }}</title>\
         <link rel=stylesheet href=\"/style.css\"></head><body><nav><a href=\"/\">Home</a></nav>\
         <main>{{ block \"main\" . }}{{ end }}</main></body></html>\n",
    );
    write(
        root,
        "layouts/index.html",
        "{{ define \"title\" }}Blog{{ end }}{{ define \"main\" }}<h1>Blog</h1><ul>\
         {{ range (where .Site.RegularPages \"Section\" \"posts\").ByTitle }}\
         <li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
    );
    write(
        root,
        "layouts/_default/single.html",
        "{{ define \"title\" }}{{ .Title }}{{ end }}{{ define \"main\" }}\
         <article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}\n",
    );
    write(root, "static/style.css", STYLE);
    for n in 0..POSTS {
        write(
            root,
            &format!("content/posts/post-{n:04}.md"),
            &format!("---\ntitle: Post {n}\n---\n{}", body(n)),
        );
    }
}

fn write_eleventy(root: &Path) {
    write(
        root,
        "package.json",
        "{\"name\": \"bench-eleventy\", \"private\": true, \"type\": \"module\"}\n",
    );
    write(
        root,
        "eleventy.config.js",
        "export default function (config) {\n  config.addPassthroughCopy(\"style.css\");\n}\n",
    );
    write(
        root,
        "_includes/base.njk",
        "<!doctype html><html><head><meta charset=utf-8><title>{{ title }}</title>\
         <link rel=stylesheet href=\"/style.css\"></head><body><nav><a href=\"/\">Home</a></nav>\
         <main>{{ content | safe }}</main></body></html>\n",
    );
    write(
        root,
        "_includes/post.njk",
        "---\nlayout: base.njk\n---\n<article><h1>{{ title }}</h1>{{ content | safe }}</article>\n",
    );
    write(
        root,
        "index.njk",
        "---\nlayout: base.njk\ntitle: Blog\n---\n<h1>Blog</h1><ul>\
         {% for post in collections.posts %}<li><a href=\"{{ post.url }}\">{{ post.data.title }}</a></li>{% endfor %}</ul>\n",
    );
    write(root, "style.css", STYLE);
    for n in 0..POSTS {
        write(
            root,
            &format!("posts/post-{n:04}.md"),
            &format!(
                "---\ntitle: Post {n}\nlayout: post.njk\ntags: posts\n---\n{}",
                body(n)
            ),
        );
    }
}

/// Debian's `hugo`, installed with apt when it is missing (as root).
fn ensure_hugo() {
    if Command::new("hugo").arg("version").output().is_ok() {
        return;
    }
    eprintln!("build_site: installing hugo with apt");
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "hugo"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "install Debian's hugo package (apt-get install hugo) to run this bench"
    );
}
