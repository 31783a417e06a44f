//! The pages of a build: every page a visitor can reach, found as SvelteKit's prerender finds
//! them. Start from the root page, every page under `pages/` without brackets and the URLs
//! the caller lists; render each as the dev server would; follow the internal `<a href>`s of
//! what was rendered until no new URL appears. So a `[slug]` page is built for each slug some
//! page links to.
//!
//! Each round of new URLs renders on every core. What a URL leads to is decided by
//! [`crate::site::route`], exactly as for a request: a page renders, a static `.html` file is a
//! page as it is, any other file a link names is copied under its own name, a folder without
//! its slash leads to the folder, and nothing at all is a broken link.

use super::html::{self, Role};
use super::{BuildError, Progress};
use crate::base::SitePath;
use crate::site::render::{PageContext, Renderer};
use crate::site::route::{self, Target};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where a URL listed under `[build] entries` is said to be linked from.
pub const ENTRIES: &str = "[build] entries";

/// A page of the build, as rendered (or read), before its references are rewritten.
#[derive(Clone, Debug)]
pub struct Page {
    /// The URL it answers (`/about`).
    pub url: String,
    /// Where it is written under the output folder (`about/index.html`).
    pub out: String,
    pub html: String,
}

/// A reference that nothing answers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Broken {
    /// The page it is written in.
    pub page: String,
    /// The URL, as written.
    pub url: String,
}

/// What the crawl found.
#[derive(Debug, Default)]
pub struct Crawled {
    /// In URL order.
    pub pages: Vec<Page>,
    /// Files that links name, copied under their own names: URL → file.
    pub linked: BTreeMap<String, PathBuf>,
    /// What the pages load, each with what it is for and the page that first named it:
    /// (URL path, role) → page URL. A URL the caller cannot answer is a broken link of that
    /// page.
    pub loads: BTreeMap<(String, Role), String>,
    pub broken: BTreeSet<Broken>,
}

/// Crawls the site at `root` from its pages without brackets and `entries`.
pub fn crawl(
    root: &Path,
    renderer: &Renderer,
    entries: &[String],
    max_pages: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Crawled, BuildError> {
    let mut crawled = Crawled::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut written: BTreeSet<String> = BTreeSet::new();
    let mut frontier: Vec<(String, String)> = starts(root)
        .into_iter()
        .map(|url| (url, String::new()))
        .chain(entries.iter().map(|url| (url.clone(), ENTRIES.to_string())))
        .collect();
    frontier.retain(|(url, _)| seen.insert(url.clone()));
    while !frontier.is_empty() {
        let visited: Vec<(Result<Visit, BuildError>, &String)> = frontier
            .par_iter()
            .map(|(url, from)| (visit(root, renderer, url), from))
            .collect();
        let mut next = Vec::new();
        for (visit, from) in visited {
            match visit? {
                Visit::Page { page, links, loads } => {
                    for (url, role) in loads {
                        crawled.loads.entry((url, role)).or_insert(page.url.clone());
                    }
                    for link in links {
                        if seen.insert(link.clone()) {
                            next.push((link, page.url.clone()));
                        }
                    }
                    if written.insert(page.out.clone()) {
                        crawled.pages.push(page);
                    }
                }
                Visit::File { url, path } => {
                    crawled.linked.insert(url, path);
                }
                Visit::Redirect { to } => {
                    if seen.insert(to.clone()) {
                        next.push((to, from.clone()));
                    }
                }
                Visit::Broken(url) => {
                    crawled.broken.insert(Broken {
                        page: from.clone(),
                        url,
                    });
                }
            }
        }
        progress(Progress::Rendered {
            pages: crawled.pages.len(),
        });
        // A page that links to ever new URLs (`/page/{{ n + 1 }}`) would crawl for good.
        if seen.len() > max_pages {
            let (url, from) = next.first().cloned().unwrap_or_default();
            return Err(BuildError::TooManyPages {
                max: max_pages,
                url,
                from,
            });
        }
        next.sort();
        frontier = next;
    }
    if let Some(page) = route::not_found_page(root) {
        let html = render(renderer, &page, "/404.html", BTreeMap::new())?;
        let (links, loads) = read(&html, "/404.html");
        for (url, role) in loads {
            crawled
                .loads
                .entry((url, role))
                .or_insert("/404.html".into());
        }
        // What the 404 page links to is checked, not crawled: it shows on every lost URL.
        for link in links.into_iter().filter(|l| !seen.contains(l)) {
            crawled.broken.extend(check_link(root, "/404.html", &link));
        }
        crawled.pages.push(Page {
            url: "/404.html".into(),
            out: "404.html".into(),
            html,
        });
    }
    crawled.pages.sort_by(|a, b| a.out.cmp(&b.out));
    Ok(crawled)
}

/// The root page and every page under `pages/` with no `[param]` in its path, as URLs.
fn starts(root: &Path) -> Vec<String> {
    let mut urls = BTreeSet::new();
    if root.join("index.html").is_file() || root.join("pages/index.html").is_file() {
        urls.insert("/".to_string());
    }
    let pages = root.join("pages");
    for entry in walkdir(&pages) {
        let Ok(relative) = entry.strip_prefix(&pages) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative.contains('[') || relative == "404.html" {
            continue;
        }
        let Some(stem) = relative.strip_suffix(".html") else {
            continue;
        };
        let url = match stem.strip_suffix("index") {
            Some(folder) if folder.is_empty() || folder.ends_with('/') => {
                format!("/{}", folder.trim_end_matches('/'))
            }
            _ => format!("/{stem}"),
        };
        urls.insert(url);
    }
    urls.into_iter().collect()
}

/// Every file under `dir`, in name order (hidden ones left out; ignore files are not read:
/// `public/` is copied whole).
pub fn walkdir(dir: &Path) -> Vec<PathBuf> {
    if !dir.is_dir() {
        return Vec::new();
    }
    ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
        .collect()
}

enum Visit {
    Page {
        page: Page,
        links: Vec<String>,
        loads: Vec<(String, Role)>,
    },
    File {
        url: String,
        path: PathBuf,
    },
    Redirect {
        to: String,
    },
    /// Nothing answers the URL.
    Broken(String),
}

fn visit(root: &Path, renderer: &Renderer, url: &str) -> Result<Visit, BuildError> {
    Ok(match route::resolve(root, url) {
        Ok(Target::Page { template, params }) => {
            let html = render(renderer, &template, url, params)?;
            let (links, loads) = read(&html, url);
            Visit::Page {
                page: Page {
                    url: url.to_string(),
                    out: out_path(url),
                    html,
                },
                links,
                loads,
            }
        }
        Ok(Target::File { path, .. }) if is_html(&path) => {
            let html = std::fs::read_to_string(&path).map_err(|e| BuildError::io(&path, e))?;
            let (links, loads) = read(&html, url);
            Visit::Page {
                page: Page {
                    url: url.to_string(),
                    out: super::assets::output_path(url),
                    html,
                },
                links,
                loads,
            }
        }
        Ok(Target::File { path, .. }) => Visit::File {
            url: url.trim_end_matches('/').to_string(),
            path,
        },
        Ok(Target::Redirect(to)) => Visit::Redirect { to },
        Ok(Target::NotFound) | Err(_) => Visit::Broken(url.to_string()),
    })
}

fn is_html(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

fn render(
    renderer: &Renderer,
    template: &SitePath,
    url: &str,
    params: BTreeMap<String, String>,
) -> Result<String, BuildError> {
    let page = PageContext {
        path: url.to_string(),
        params,
    };
    renderer
        .render(template, &page)
        .map_err(|err| BuildError::Render {
            url: url.to_string(),
            report: Box::new(err.report),
        })
}

/// The internal links of `html` (the page at `url`) as URL paths, and what it loads.
fn read(html: &str, url: &str) -> (Vec<String>, Vec<(String, Role)>) {
    let mut links = Vec::new();
    let mut loads = Vec::new();
    let _ = html::visit(html, |href, role| {
        if let Some(target) = route::absolute(url, href) {
            match role {
                Role::Link => links.push(target),
                role => loads.push((target, role)),
            }
        }
        None
    });
    for marked in super::assets::markers(html) {
        if let Some(target) = route::absolute(url, marked) {
            let role = role_by_name(&target);
            loads.push((target, role));
        }
    }
    (links, loads)
}

/// What a URL `asset()` named is for, by its extension.
fn role_by_name(url: &str) -> Role {
    match crate::base::Kind::of(url) {
        crate::base::Kind::Style => Role::Stylesheet,
        crate::base::Kind::Script => Role::Module,
        _ => Role::Asset,
    }
}

/// The link `url` from `page`, when nothing answers it.
fn check_link(root: &Path, page: &str, url: &str) -> Option<Broken> {
    match route::resolve(root, url) {
        Ok(Target::NotFound) | Err(_) => Some(Broken {
            page: page.to_string(),
            url: url.to_string(),
        }),
        _ => None,
    }
}

/// Where the page at `url` is written: `/` → `index.html`, `/about` → `about/index.html`,
/// so that any static host answers `/about` with it.
pub fn out_path(url: &str) -> String {
    let path = super::assets::output_path(url);
    let path = path.trim_matches('/');
    if path.is_empty() {
        "index.html".to_string()
    } else {
        format!("{path}/index.html")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_written_as_its_folder_index() {
        assert_eq!(out_path("/"), "index.html");
        assert_eq!(out_path("/about"), "about/index.html");
        assert_eq!(out_path("/blog/first/"), "blog/first/index.html");
    }

    #[test]
    fn the_crawl_starts_at_every_page_without_brackets() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "pages/index.html",
            "pages/about.html",
            "pages/docs/index.html",
            "pages/docs/intro.html",
            "pages/blog/[slug].html",
            "pages/[lang]/index.html",
            "pages/404.html",
            "pages/notes.txt",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        assert_eq!(starts(dir.path()), ["/", "/about", "/docs", "/docs/intro"]);
    }

    #[test]
    fn a_url_that_asset_named_is_loaded_for_what_its_name_says() {
        assert_eq!(role_by_name("/style.css"), Role::Stylesheet);
        assert_eq!(role_by_name("/src/main.tsx"), Role::Module);
        assert_eq!(role_by_name("/logo.svg"), Role::Asset);
    }
}
