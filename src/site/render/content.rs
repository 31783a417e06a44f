//! Content and data for templates: what `content(…)`, `content_list(…)` and `data(…)` return.
//!
//! - `content/**/*.md` is Markdown (pulldown-cmark, with tables, footnotes, strikethrough and
//!   task lists). It may open with front matter: TOML between `+++` lines or YAML between
//!   `---` lines (gray_matter). An [`Entry`] carries its rendered `html` and its front matter
//!   as `meta`.
//! - `data/*.json` and `data/*.toml` are read as values.
//!
//! Every file is read when a template asks for it, and noted as read by the current render
//! (see [`super::Reads`]), so editing it updates exactly the pages that used it. Names are site
//! paths below their folder: `content("blog/hello")` reads `content/blog/hello.md`. A name that
//! leaves the folder is an error, as is a file that is missing or does not parse; each says
//! which file.

use crate::base::SitePath;
use gray_matter::Matter;
use gray_matter::engine::{TOML, YAML};
use pulldown_cmark::{Options, Parser, html};
use serde::Serialize;
use std::path::Path;

/// One Markdown file of `content/`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// Its name below `content/`, without `.md` (`blog/hello`): what `content()` takes.
    pub name: String,
    /// The last segment of the name (`hello`).
    pub slug: String,
    /// The front matter, or an empty map.
    pub meta: serde_json::Value,
    /// The Markdown body as HTML.
    pub html: String,
}

/// A content or data file that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ContentError {
    /// The site path asked for (`content/about.md`), or the name when it is not one.
    pub file: String,
    pub message: String,
}

/// Reads `content/<name>.md`.
pub fn entry(root: &Path, name: &str) -> Result<Entry, ContentError> {
    let name = name.strip_suffix(".md").unwrap_or(name);
    let site = below("content", name)?;
    let site = SitePath::new(&format!("{}.md", site.as_str()));
    super::note_file(&site);
    let text = read(root, &site)?;
    parse_entry(name, &site, &text)
}

/// Every `.md` file directly in `content/<folder>`, by name. An empty name lists `content/`.
pub fn list(root: &Path, folder: &str) -> Result<Vec<Entry>, ContentError> {
    let folder = folder.trim_matches('/');
    let site = if folder.is_empty() {
        SitePath::new("content")
    } else {
        below("content", folder)?
    };
    super::note_folder(&site);
    let Ok(dir) = std::fs::read_dir(root.join(site.as_str())) else {
        // A folder that does not exist yet lists nothing; adding it updates the page.
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
        .iter()
        .map(|file| {
            let stem = file.trim_end_matches(".md");
            let name = if folder.is_empty() {
                stem.to_string()
            } else {
                format!("{folder}/{stem}")
            };
            entry(root, &name)
        })
        .collect()
}

/// Reads `data/<name>`: `.json` or `.toml`, as named, or whichever exists (JSON first).
pub fn data(root: &Path, name: &str) -> Result<serde_json::Value, ContentError> {
    let candidates: Vec<SitePath> = if name.ends_with(".json") || name.ends_with(".toml") {
        vec![below("data", name)?]
    } else {
        let site = below("data", name)?;
        vec![
            SitePath::new(&format!("{}.json", site.as_str())),
            SitePath::new(&format!("{}.toml", site.as_str())),
        ]
    };
    for site in &candidates {
        // Noted even when missing: creating the file updates the page.
        super::note_file(site);
        if !root.join(site.as_str()).is_file() {
            continue;
        }
        let text = read(root, site)?;
        let parsed = if site.extension() == "json" {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str::<toml::Value>(&text)
                .map(toml_to_json)
                .map_err(|e| e.to_string())
        };
        return parsed.map_err(|message| ContentError {
            file: site.to_string(),
            message,
        });
    }
    Err(ContentError {
        file: candidates[0].to_string(),
        message: format!(
            "no such data file (looked for {})",
            candidates
                .iter()
                .map(SitePath::as_str)
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    })
}

/// A TOML value as JSON; dates and times become their TOML text (`2026-11-22`), as in front
/// matter.
fn toml_to_json(value: toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => s.into(),
        toml::Value::Integer(i) => i.into(),
        toml::Value::Float(f) => f.into(),
        toml::Value::Boolean(b) => b.into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(items) => items.into_iter().map(toml_to_json).collect(),
        toml::Value::Table(table) => table
            .into_iter()
            .map(|(k, v)| (k, toml_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// Markdown with optional front matter → an entry.
pub fn parse_entry(name: &str, site: &SitePath, text: &str) -> Result<Entry, ContentError> {
    let fail = |message: String| ContentError {
        file: site.to_string(),
        message,
    };
    let (meta, body) = if text.starts_with("+++") {
        let mut matter = Matter::<TOML>::new();
        matter.delimiter = "+++".into();
        let parsed = matter
            .parse::<serde_json::Value>(text)
            .map_err(|e| fail(format!("front matter (TOML): {e}")))?;
        (parsed.data, parsed.content)
    } else if text.starts_with("---") {
        let parsed = Matter::<YAML>::new()
            .parse::<serde_json::Value>(text)
            .map_err(|e| fail(format!("front matter (YAML): {e}")))?;
        (parsed.data, parsed.content)
    } else {
        (None, text.to_string())
    };
    let meta = match meta {
        None | Some(serde_json::Value::Null) => serde_json::Value::Object(Default::default()),
        Some(meta @ serde_json::Value::Object(_)) => meta,
        Some(other) => return Err(fail(format!("front matter must be a table, not {other}"))),
    };
    Ok(Entry {
        name: name.to_string(),
        slug: name.rsplit('/').next().unwrap_or(name).to_string(),
        meta,
        html: markdown(&body),
    })
}

/// Markdown → HTML.
pub fn markdown(text: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(text, options));
    out
}

/// `folder/name` as a site path, refusing names that climb out of `folder`.
fn below(folder: &str, name: &str) -> Result<SitePath, ContentError> {
    let climbs = name
        .split(['/', '\\'])
        .any(|segment| segment == ".." || segment.starts_with('.'));
    if climbs || name.trim_matches('/').is_empty() || name.contains('\0') {
        return Err(ContentError {
            file: name.to_string(),
            message: format!("names a file outside {folder}/"),
        });
    }
    Ok(SitePath::new(&format!("{folder}/{name}")))
}

fn read(root: &Path, site: &SitePath) -> Result<String, ContentError> {
    std::fs::read_to_string(root.join(site.as_str())).map_err(|e| ContentError {
        file: site.to_string(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => e.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn markdown_becomes_html_with_tables_and_strikethrough() {
        let html = markdown("# Hi\n\n| a |\n|---|\n| 1 |\n\n~~old~~");
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
    }

    #[test]
    fn toml_front_matter_sits_between_plus_lines() {
        let entry = parse_entry(
            "blog/hello",
            &SitePath::new("content/blog/hello.md"),
            "+++\ntitle = \"Hello\"\ntags = [\"a\"]\ndate = 2026-11-01\n+++\nBody *text*\n",
        )
        .unwrap();
        assert_eq!(entry.meta["title"], "Hello");
        assert_eq!(entry.meta["tags"][0], "a");
        assert_eq!(entry.meta["date"], "2026-11-01");
        assert_eq!(entry.slug, "hello");
        assert_eq!(entry.html.trim(), "<p>Body <em>text</em></p>");
    }

    #[test]
    fn yaml_front_matter_sits_between_dash_lines() {
        let entry = parse_entry(
            "about",
            &SitePath::new("content/about.md"),
            "---\ntitle: About us\ndraft: false\n---\nHello\n",
        )
        .unwrap();
        assert_eq!(entry.meta["title"], "About us");
        assert_eq!(entry.meta["draft"], false);
        assert_eq!(entry.html.trim(), "<p>Hello</p>");
    }

    #[test]
    fn a_file_without_front_matter_has_empty_meta() {
        let entry = parse_entry("a", &SitePath::new("content/a.md"), "just text").unwrap();
        assert_eq!(entry.meta, serde_json::json!({}));
    }

    #[test]
    fn broken_front_matter_names_the_file() {
        let err =
            parse_entry("a", &SitePath::new("content/a.md"), "+++\ntitle = \n+++\nx").unwrap_err();
        assert_eq!(err.file, "content/a.md");
        assert!(err.message.contains("TOML"), "{}", err.message);
    }

    #[test]
    fn a_folder_lists_its_markdown_files_by_name() {
        let dir = site(&[
            ("content/blog/b.md", "---\ntitle: B\n---\nb"),
            ("content/blog/a.md", "+++\ntitle = \"A\"\n+++\na"),
            ("content/blog/notes.txt", "not markdown"),
            ("content/blog/deeper/c.md", "not listed"),
        ]);
        let entries = list(dir.path(), "blog").unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["blog/a", "blog/b"]);
        assert_eq!(entries[1].meta["title"], "B");
        assert!(list(dir.path(), "nothing-here").unwrap().is_empty());
    }

    #[test]
    fn data_files_are_json_or_toml() {
        let dir = site(&[
            ("data/site.json", r#"{"title": "J"}"#),
            (
                "data/menu.toml",
                "items = [\"a\", \"b\"]\nupdated = 2026-11-22",
            ),
        ]);
        assert_eq!(data(dir.path(), "site").unwrap()["title"], "J");
        assert_eq!(data(dir.path(), "menu").unwrap()["items"][1], "b");
        assert_eq!(data(dir.path(), "menu.toml").unwrap()["items"][0], "a");
        assert_eq!(data(dir.path(), "menu").unwrap()["updated"], "2026-11-22");
        let missing = data(dir.path(), "gone").unwrap_err();
        assert!(missing.message.contains("data/gone.json"), "{missing}");
    }

    #[test]
    fn broken_data_names_the_file_and_position() {
        let dir = site(&[("data/site.json", "{\n  \"title\": \n}")]);
        let err = data(dir.path(), "site").unwrap_err();
        assert_eq!(err.file, "data/site.json");
        assert!(err.message.contains("line 3"), "{}", err.message);
    }

    #[test]
    fn names_cannot_leave_their_folder() {
        let dir = site(&[("secret.md", "no")]);
        for name in ["../secret", "a/../../secret", ".hidden", ""] {
            assert!(entry(dir.path(), name).is_err(), "{name}");
        }
        assert!(data(dir.path(), "../Cargo").is_err());
    }
}
