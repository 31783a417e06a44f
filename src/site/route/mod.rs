//! Routing: which file answers a URL path. The query string plays no part.
//!
//! In order:
//! 1. A page: `/` is `pages/index.html` or the root `index.html`; `/about` is
//!    `pages/about.html` or `pages/about/index.html`; a `[name]` file or folder matches any one
//!    segment, and its value reaches the template as `params.name`. Exact names win over
//!    `[name]` ones.
//! 2. A static file: `public/<path>`, then `<path>` anywhere under the root. A folder serves its
//!    `index.html`; asked for without a trailing slash, it redirects to one so that relative
//!    links resolve.
//! 3. Never a template input: whether a file may be served is decided from where it really
//!    is (symlinks resolved), not from the URL. Nothing under `pages/`, `layouts/`,
//!    `partials/`, `content/` or `data/` is served; the root `index.html` (a template) is
//!    asked for by `/`, so `/index.html` redirects there.
//! 4. Nothing: the caller answers 404.
//!
//! An app that embeds hotplate has no site layout: [`locate`] maps a URL to a file only under
//! the folders it mounted at URL prefixes (`/static` → `static/`).

pub mod confine;

use crate::base::{Import, SitePath, url_path};
use crate::settings::{Mount, Settings};
pub use confine::Refused;
use percent_encoding::percent_decode_str;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level folders that hold templates and what they read: never served as files.
const TEMPLATE_INPUTS: [&str; 5] = ["pages", "layouts", "partials", "content", "data"];

/// The root page template.
const ROOT_PAGE: &str = "index.html";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Page {
        template: SitePath,
        params: BTreeMap<String, String>,
    },
    File {
        /// Canonical path on disk.
        path: PathBuf,
        site: SitePath,
    },
    /// A folder asked for without its trailing slash.
    Redirect(String),
    NotFound,
}

/// Resolves `url_path` (the path part of a URL, still percent-encoded) under `root`.
pub fn resolve(root: &Path, url_path: &str) -> Result<Target, Refused> {
    let segments = confine::sanitize(url_path)?;
    if let Some((template, params)) = find_page(root, &segments) {
        return Ok(Target::Page { template, params });
    }
    let public = std::iter::once("public".to_string()).chain(segments.iter().cloned());
    for parts in [public.collect::<Vec<_>>(), segments] {
        let candidate = parts.iter().fold(root.to_path_buf(), |p, s| p.join(s));
        let Some(real) = confine::enforce(root, &candidate)? else {
            continue;
        };
        let real = if real.is_dir() {
            let Some(real_index) = confine::enforce(root, &candidate.join("index.html"))? else {
                continue;
            };
            if !url_path.ends_with('/') && servable(root, &real_index) != Servable::Never {
                // Leading slashes collapsed: `//host` must not become a protocol-relative URL.
                return Ok(Target::Redirect(format!(
                    "/{}/",
                    url_path.trim_start_matches('/')
                )));
            }
            real_index
        } else {
            real
        };
        return Ok(match servable(root, &real) {
            Servable::Yes => file(root, real),
            Servable::AsRoot if !url_path.trim_matches('/').is_empty() => {
                Target::Redirect("/".into())
            }
            Servable::AsRoot | Servable::Never => Target::NotFound,
        });
    }
    Ok(Target::NotFound)
}

#[derive(Debug, PartialEq, Eq)]
enum Servable {
    Yes,
    /// The root page template: its URL is `/`.
    AsRoot,
    Never,
}

/// Whether the file at `real` (canonical, under `root`) may be served as it is.
fn servable(root: &Path, real: &Path) -> Servable {
    let relative = real.strip_prefix(root).unwrap_or(real);
    let mut components = relative.components().map(|c| c.as_os_str());
    let first = components.next().and_then(|c| c.to_str()).unwrap_or("");
    if TEMPLATE_INPUTS.contains(&first) {
        Servable::Never
    } else if first == ROOT_PAGE && components.next().is_none() {
        Servable::AsRoot
    } else {
        Servable::Yes
    }
}

/// Where `url_path` leads under the layout the settings describe: a site's, or an app's
/// mounted folders (where anything outside them is [`Target::NotFound`]: not hotplate's).
/// Several folders may share a prefix (a Django project's `*/static`): the first that has the
/// file answers, as Django's static finders do.
pub fn locate(settings: &Settings, url_path: &str) -> Result<Target, Refused> {
    if settings.mounts.is_empty() {
        return resolve(&settings.root, url_path);
    }
    for (mount, rest) in mounts_of(settings, url_path) {
        let segments = confine::sanitize(rest)?;
        let candidate = segments.iter().fold(mount.folder.clone(), |p, s| p.join(s));
        if let Some(real) = confine::enforce(&mount.folder, &candidate)?
            && real.is_file()
        {
            return Ok(file(&settings.root, real));
        }
    }
    Ok(Target::NotFound)
}

/// The mounted folder an app serves `url_path` from, and the rest of the path below its
/// prefix (the longest prefix wins; of folders that share it, the first mounted).
pub fn mount_of<'a>(settings: &'a Settings, url_path: &'a str) -> Option<(&'a Mount, &'a str)> {
    mounts_of(settings, url_path).into_iter().next()
}

/// Every mounted folder whose prefix `url_path` is under, longest prefix first, and the rest
/// of the path below it.
fn mounts_of<'a>(settings: &'a Settings, url_path: &'a str) -> Vec<(&'a Mount, &'a str)> {
    let mut found: Vec<(&Mount, &str)> = settings
        .mounts
        .iter()
        .filter_map(|mount| {
            let prefix = mount.prefix.as_deref()?.trim_end_matches('/');
            let rest = url_path.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with('/')).then_some((mount, rest))
        })
        .collect();
    // Stable: folders that share a prefix keep the order they were mounted in.
    found.sort_by_key(|(mount, _)| std::cmp::Reverse(mount.prefix.as_ref().map_or(0, String::len)));
    found
}

/// The URL path at which the file `real` (canonical) is served, if any: the way back from
/// [`locate`], which must lead to the same file.
pub fn url_of(settings: &Settings, real: &Path) -> Option<String> {
    let segments = |rest: &Path| -> Option<Vec<String>> {
        rest.components()
            .map(|c| c.as_os_str().to_str().map(str::to_string))
            .collect()
    };
    let candidates: Vec<String> = if settings.mounts.is_empty() {
        let rest = segments(real.strip_prefix(&settings.root).ok()?)?;
        vec![SitePath::new(&rest.join("/")).url()]
    } else {
        settings
            .mounts
            .iter()
            .filter_map(|mount| {
                let prefix = mount.prefix.as_deref()?.trim_end_matches('/');
                let rest = segments(real.strip_prefix(&mount.folder).ok()?)?;
                Some(format!(
                    "{prefix}{}",
                    url_path(rest.iter().map(String::as_str))
                ))
            })
            .collect()
    };
    candidates
        .into_iter()
        .find(|url| matches!(locate(settings, url), Ok(Target::File { path, .. }) if path == real))
}

/// What a reference written in a served file names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A file of the site, and the URL it is requested by.
    File(Import),
    /// A URL path of this site that no file answers, yet.
    Missing(String),
    /// Another site, a `data:` URL, a page or nothing at all.
    Elsewhere,
}

impl Reference {
    pub fn file(self) -> Option<Import> {
        match self {
            Reference::File(import) => Some(import),
            _ => None,
        }
    }
}

/// What `href`, written in the file served at `base` (a URL path), names: query and fragment
/// are dropped, `.` and `..` resolved, and the result routed like a request.
pub fn reference(settings: &Settings, base: &str, href: &str) -> Reference {
    let Some(mut url) = absolute(base, href) else {
        return Reference::Elsewhere;
    };
    if url.len() > 1 && url.ends_with('/') {
        url.pop();
    }
    match locate(settings, &url) {
        Ok(Target::File { site, .. }) => Reference::File(Import { file: site, url }),
        Ok(Target::NotFound) => Reference::Missing(url),
        _ => Reference::Elsewhere,
    }
}

/// Whether `href` starts with a scheme (`https:`, `data:`, `mailto:`): it names no path of
/// this site.
pub fn has_scheme(href: &str) -> bool {
    href.split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains(['/', '?', '#']))
}

/// The URL path `href`, written in the page or file at `base`, names on this site: query and
/// fragment dropped, `.` and `..` resolved, each segment decoded. `None` for another site, a
/// `data:`, `mailto:` or `javascript:` URL, or a fragment alone.
pub fn absolute(base: &str, href: &str) -> Option<String> {
    let href = href.trim();
    if has_scheme(href) || href.starts_with("//") {
        return None;
    }
    let href = href.split(['?', '#']).next().unwrap_or("");
    if href.is_empty() {
        return None;
    }
    let joined = if href.starts_with('/') {
        href.to_string()
    } else {
        let folder = &base[..base.rfind('/').map_or(0, |i| i + 1)];
        format!("{folder}{href}")
    };
    let mut parts: Vec<String> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            // Written as-is or percent-encoded, it names the same file: compare decoded.
            part => parts.push(percent_decode_str(part).decode_utf8_lossy().into_owned()),
        }
    }
    let url = url_path(parts.iter().map(String::as_str));
    // A trailing slash names the folder's page (`/blog/`), and the crawl keeps it.
    Some(if joined.ends_with('/') && url != "/" {
        format!("{url}/")
    } else {
        url
    })
}

/// What the references written in one served file name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named {
    /// The files of the site, by the text that names them.
    pub files: BTreeMap<String, Import>,
    /// URL paths of this site that no file answers yet.
    pub missing: BTreeSet<String>,
}

impl Named {
    pub fn imports(&self) -> Vec<Import> {
        self.files.values().cloned().collect()
    }
}

/// [`reference()`] for each of `hrefs`, written in the file served at `base`.
pub fn name_all<'a>(
    settings: &Settings,
    base: &str,
    hrefs: impl IntoIterator<Item = &'a str>,
) -> Named {
    let mut named = Named::default();
    for href in hrefs {
        match reference(settings, base, href) {
            Reference::File(import) => {
                named.files.insert(href.to_string(), import);
            }
            Reference::Missing(url) => {
                named.missing.insert(url);
            }
            Reference::Elsewhere => {}
        }
    }
    named
}

fn file(root: &Path, real: PathBuf) -> Target {
    let relative = real
        .strip_prefix(root)
        .unwrap_or(&real)
        .to_string_lossy()
        .replace('\\', "/");
    Target::File {
        site: SitePath::new(&relative),
        path: real,
    }
}

/// The site's own 404 page, when it has one.
pub fn not_found_page(root: &Path) -> Option<SitePath> {
    let page = SitePath::new("pages/404.html");
    root.join(page.as_str()).is_file().then_some(page)
}

/// The page template that renders `url_path` now, with its parameters: the page that answers
/// it, or the site's 404 page when nothing does. `None` when a file answers it, or nothing and
/// the site has no 404 page.
pub fn rendering_page(root: &Path, url_path: &str) -> Option<(SitePath, BTreeMap<String, String>)> {
    match resolve(root, url_path) {
        Ok(Target::Page { template, params }) => Some((template, params)),
        Ok(Target::NotFound) => not_found_page(root).map(|page| (page, BTreeMap::new())),
        _ => None,
    }
}

/// Finds the page template for `segments`, with the values of its dynamic segments.
pub fn find_page(root: &Path, segments: &[String]) -> Option<(SitePath, BTreeMap<String, String>)> {
    let mut params = BTreeMap::new();
    let pages = root.join("pages");
    let found = search(&pages, segments, &mut params).or_else(|| {
        (segments.is_empty() && root.join("index.html").is_file()).then(|| root.join("index.html"))
    })?;
    let relative = found
        .strip_prefix(root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    Some((SitePath::new(&relative), params))
}

fn search(
    dir: &Path,
    segments: &[String],
    params: &mut BTreeMap<String, String>,
) -> Option<PathBuf> {
    let Some((first, rest)) = segments.split_first() else {
        let index = dir.join("index.html");
        return index.is_file().then_some(index);
    };
    if rest.is_empty() {
        let exact = dir.join(format!("{first}.html"));
        if exact.is_file() {
            return Some(exact);
        }
    }
    let sub = dir.join(first);
    if sub.is_dir()
        && let Some(found) = search(&sub, rest, params)
    {
        return Some(found);
    }
    // Dynamic segments, in name order so the choice is stable.
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with('['))
        .collect();
    names.sort();
    for name in names {
        if let Some(param) = name
            .strip_suffix("].html")
            .and_then(|n| n.strip_prefix('['))
        {
            if rest.is_empty() {
                params.insert(param.to_string(), first.clone());
                return Some(dir.join(&name));
            }
        } else if let Some(param) = name.strip_suffix(']').and_then(|n| n.strip_prefix('[')) {
            let sub = dir.join(&name);
            if sub.is_dir() {
                params.insert(param.to_string(), first.clone());
                if let Some(found) = search(&sub, rest, params) {
                    return Some(found);
                }
                params.remove(param);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        (dir, root)
    }

    fn page(root: &Path, url: &str) -> (String, Vec<(String, String)>) {
        match resolve(root, url).unwrap() {
            Target::Page { template, params } => {
                (template.to_string(), params.into_iter().collect())
            }
            other => panic!("{url}: expected a page, got {other:?}"),
        }
    }

    fn served(root: &Path, url: &str) -> String {
        match resolve(root, url).unwrap() {
            Target::File { site, .. } => site.to_string(),
            other => panic!("{url}: expected a file, got {other:?}"),
        }
    }

    #[test]
    fn references_resolve_against_the_referring_url() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(root.join("public")).unwrap();
        std::fs::write(root.join("docs/a.css"), "").unwrap();
        std::fs::write(root.join("public/main.css"), "").unwrap();
        let settings = Settings::for_root(&root).unwrap();
        let a = reference(&settings, "/docs/", "a.css?v=1").file().unwrap();
        assert_eq!(
            (a.file.as_str(), a.url.as_str()),
            ("docs/a.css", "/docs/a.css")
        );
        let main = reference(&settings, "/docs/page", "../main.css#x")
            .file()
            .unwrap();
        assert_eq!(
            (main.file.as_str(), main.url.as_str()),
            ("public/main.css", "/main.css")
        );
        assert_eq!(
            reference(&settings, "/", "https://cdn.example/x.css"),
            Reference::Elsewhere
        );
        assert_eq!(
            reference(&settings, "/docs/", "missing.css"),
            Reference::Missing("/docs/missing.css".into())
        );
        assert_eq!(reference(&settings, "/", ""), Reference::Elsewhere);
        std::fs::write(root.join("docs/a b.png"), "").unwrap();
        for written in ["a b.png", "a%20b.png"] {
            let image = reference(&settings, "/docs/page", written).file().unwrap();
            assert_eq!(
                (image.file.as_str(), image.url.as_str()),
                ("docs/a b.png", "/docs/a%20b.png"),
                "{written}"
            );
        }
    }

    #[test]
    fn an_app_s_urls_lead_only_into_its_mounted_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for file in [
            "assets/app.js",
            "assets/css/main.css",
            "templates/index.html",
            "secret.txt",
        ] {
            std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            std::fs::write(root.join(file), "").unwrap();
        }
        let mut settings = Settings::for_root(&root).unwrap();
        settings.mounts = vec![
            Mount {
                folder: root.join("assets"),
                prefix: Some("/static".into()),
            },
            Mount {
                folder: root.join("templates"),
                prefix: None,
            },
        ];
        let site_of = |url: &str| match locate(&settings, url) {
            Ok(Target::File { site, .. }) => Some(site.to_string()),
            _ => None,
        };
        assert_eq!(site_of("/static/app.js").as_deref(), Some("assets/app.js"));
        assert_eq!(
            site_of("/static/css/main.css").as_deref(),
            Some("assets/css/main.css")
        );
        for elsewhere in [
            "/static",
            "/staticx/app.js",
            "/secret.txt",
            "/templates/index.html",
            "/app.js",
        ] {
            assert_eq!(site_of(elsewhere), None, "{elsewhere}");
        }
        assert!(locate(&settings, "/static/../secret.txt").is_err());
        let css = reference(&settings, "/static/css/main.css", "../app.js?t=1")
            .file()
            .unwrap();
        assert_eq!(
            (css.file.as_str(), css.url.as_str()),
            ("assets/app.js", "/static/app.js")
        );

        // A second folder at the same prefix answers what the first does not have.
        std::fs::create_dir_all(root.join("blog/static/blog")).unwrap();
        std::fs::write(root.join("blog/static/blog/post.css"), "").unwrap();
        std::fs::write(root.join("blog/static/app.js"), "").unwrap();
        settings.mounts.push(Mount {
            folder: root.join("blog/static"),
            prefix: Some("/static".into()),
        });
        let site_of = |url: &str| match locate(&settings, url) {
            Ok(Target::File { site, .. }) => Some(site.to_string()),
            _ => None,
        };
        assert_eq!(
            site_of("/static/blog/post.css").as_deref(),
            Some("blog/static/blog/post.css")
        );
        assert_eq!(site_of("/static/app.js").as_deref(), Some("assets/app.js"));
        assert_eq!(site_of("/static/blog/missing.css"), None);
    }

    #[test]
    fn file_based_routes() {
        let (_d, root) = site(&[
            "pages/index.html",
            "pages/about.html",
            "pages/blog/index.html",
            "pages/blog/[slug].html",
            "pages/blog/new.html",
        ]);
        assert_eq!(page(&root, "/").0, "pages/index.html");
        assert_eq!(page(&root, "/about").0, "pages/about.html");
        assert_eq!(page(&root, "/blog").0, "pages/blog/index.html");
        assert_eq!(page(&root, "/blog/").0, "pages/blog/index.html");
        assert_eq!(page(&root, "/blog/new").0, "pages/blog/new.html");
        assert_eq!(
            page(&root, "/blog/hello%20world"),
            (
                "pages/blog/[slug].html".to_string(),
                vec![("slug".to_string(), "hello world".to_string())]
            )
        );
        assert_eq!(resolve(&root, "/blog/a/b").unwrap(), Target::NotFound);
    }

    #[test]
    fn dynamic_folders_carry_params_through() {
        let (_d, root) = site(&["pages/[user]/posts/[id].html"]);
        assert_eq!(
            page(&root, "/ann/posts/7").1,
            vec![
                ("id".to_string(), "7".to_string()),
                ("user".to_string(), "ann".to_string())
            ]
        );
    }

    #[test]
    fn the_root_index_is_a_page_when_pages_has_none() {
        let (_d, root) = site(&["index.html"]);
        assert_eq!(page(&root, "/").0, "index.html");
    }

    #[test]
    fn static_files_come_from_public_then_the_root() {
        let (_d, root) = site(&[
            "public/logo.svg",
            "main.css",
            "public/main.css",
            "docs/index.html",
        ]);
        assert_eq!(served(&root, "/logo.svg"), "public/logo.svg");
        assert_eq!(served(&root, "/main.css"), "public/main.css");
        assert_eq!(served(&root, "/docs/"), "docs/index.html");
        assert_eq!(
            resolve(&root, "/docs").unwrap(),
            Target::Redirect("/docs/".into())
        );
    }

    #[test]
    fn template_folders_are_never_served_as_files() {
        let (_d, root) = site(&[
            "layouts/base.html",
            "partials/nav.html",
            "pages/a.html",
            "content/a.md",
            "data/a.json",
        ]);
        for url in [
            "/layouts/base.html",
            "/partials/nav.html",
            "/pages/a.html",
            "/content/a.md",
            "/data/a.json",
        ] {
            assert_eq!(resolve(&root, url).unwrap(), Target::NotFound, "{url}");
        }
    }
}
