//! The stylesheet stage of the build: a stylesheet with everything it `@import`s inlined (in
//! cascade order, with `media`, `supports` and `layer` conditions kept), minified, and each
//! `url()` answered by the caller, which gives it a fingerprint.
//!
//! lightningcss does the parsing, the inlining and the minifying: the CSS library Parcel and
//! Vite 8 ship, which also knows browser targets and CSS Modules (for what comes next). It
//! reads files through a [`SourceProvider`]; this one reads the stylesheet's `@import` tree up
//! front ([`Sources::gather`], with the tokenizer the dev server already uses), so that it
//! lends out text it owns, and resolves `/x.css` from the site root as a request would.

use crate::base::{ErrorReport, code_frame};
use crate::modules::css_modules;
use crate::rewrite::css;
use crate::site::route::{self, Target};
use lightningcss::bundler::{Bundler, ResolveResult, SourceProvider};
use lightningcss::dependencies::{Dependency, DependencyOptions};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How many stylesheets one `@import` tree may hold.
const MAX_FILES: usize = 10_000;

/// A stylesheet that did not build, with the file and line at fault.
#[derive(Debug, thiserror::Error)]
#[error("{}", .report.one_line())]
pub struct StyleError {
    pub report: Box<ErrorReport>,
}

/// Builds the stylesheet `entry` (a canonical path under `root`): imports inlined, minified,
/// and each `url()` written as `asset` answers for it (the URL as written, and the file it is
/// written in), or as it was.
pub fn build(
    root: &Path,
    entry: &Path,
    asset: impl Fn(&str, &Path) -> Option<String>,
) -> Result<String, StyleError> {
    let sources = Sources::gather(root, entry)?;
    let mut bundler = Bundler::new(&sources, None, ParserOptions::default());
    let mut sheet = bundler
        .bundle(entry)
        .map_err(|err| sources.report(err.loc.as_ref(), err.kind.to_string(), entry))?;
    sheet
        .minify(MinifyOptions::default())
        .map_err(|err| sources.report(err.loc.as_ref(), err.kind.to_string(), entry))?;
    let printed = sheet
        .to_css(PrinterOptions {
            minify: true,
            analyze_dependencies: Some(DependencyOptions {
                remove_imports: false,
            }),
            ..PrinterOptions::default()
        })
        .map_err(|err| sources.report(err.loc.as_ref(), err.kind.to_string(), entry))?;
    let mut code = printed.code;
    for dependency in printed.dependencies.unwrap_or_default() {
        if let Dependency::Url(url) = dependency {
            let written = asset(&url.url, Path::new(&url.loc.file_path)).unwrap_or(url.url);
            code = code.replace(&url.placeholder, &written);
        }
    }
    Ok(code)
}

/// Builds the CSS module `entry` (`*.module.css`): scoped as in dev
/// ([`crate::modules::css_modules`], so its class names are the ones its importers' bundle
/// exports), minified, and each `url()` answered by `asset` as in [`build`].
pub fn build_module(
    root: &Path,
    entry: &Path,
    asset: impl Fn(&str, &Path) -> Option<String>,
) -> Result<String, StyleError> {
    let site = entry
        .strip_prefix(root)
        .unwrap_or(entry)
        .to_string_lossy()
        .replace('\\', "/");
    let text = std::fs::read_to_string(entry).map_err(|err| StyleError {
        report: Box::new(ErrorReport::about_file(&site, err.to_string())),
    })?;
    let scoped = css_modules::scope(&site, &text, css_modules::Output { minify: true })
        .map_err(|report| StyleError { report })?;
    let mut code = scoped.css;
    for (url, placeholder) in scoped.urls {
        let written = asset(&url, entry).unwrap_or(url);
        code = code.replace(&placeholder, &written);
    }
    Ok(code)
}

/// Every stylesheet of one `@import` tree, read.
struct Sources {
    root: PathBuf,
    texts: HashMap<PathBuf, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unresolved(String);

impl Sources {
    /// Reads `entry` and, transitively, what it imports.
    fn gather(root: &Path, entry: &Path) -> Result<Sources, StyleError> {
        let mut sources = Sources {
            root: root.to_path_buf(),
            texts: HashMap::new(),
        };
        let mut queue = vec![entry.to_path_buf()];
        while let Some(file) = queue.pop() {
            if sources.texts.contains_key(&file) {
                continue;
            }
            if sources.texts.len() >= MAX_FILES {
                return Err(StyleError {
                    report: Box::new(ErrorReport::about_file(
                        &sources.site(entry),
                        format!("imports more than {MAX_FILES} stylesheets"),
                    )),
                });
            }
            let text = std::fs::read_to_string(&file).map_err(|err| StyleError {
                report: Box::new(ErrorReport::about_file(
                    &sources.site(&file),
                    err.to_string(),
                )),
            })?;
            let (references, too_deep) = css::analyze_deep(&text);
            if too_deep {
                // lightningcss parses nested blocks recursively: deeper input could overflow
                // its stack.
                return Err(StyleError {
                    report: Box::new(ErrorReport::about_file(
                        &sources.site(&file),
                        format!("{} {}", sources.site(&file), css_modules::too_deep()),
                    )),
                });
            }
            for reference in references {
                if reference.kind == css::Kind::Import
                    && let Ok(ResolveResult::File(next)) = sources.resolve(&reference.url, &file)
                {
                    queue.push(next);
                }
            }
            sources.texts.insert(file, text);
        }
        Ok(sources)
    }

    /// `file` as the site names it (relative to the root).
    fn site(&self, file: &Path) -> String {
        file.strip_prefix(&self.root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// A report at `loc` (lightningcss counts lines from 0 and columns from 1).
    fn report(
        &self,
        loc: Option<&lightningcss::error::ErrorLocation>,
        message: String,
        entry: &Path,
    ) -> StyleError {
        let Some(loc) = loc else {
            return StyleError {
                report: Box::new(ErrorReport::about_file(&self.site(entry), message)),
            };
        };
        let file = PathBuf::from(&loc.filename);
        let line = loc.line as usize + 1;
        let column = loc.column as usize;
        StyleError {
            report: Box::new(ErrorReport {
                message,
                file: Some(self.site(&file)),
                line: Some(line),
                column: Some(column),
                frame: self
                    .texts
                    .get(&file)
                    .map(|text| code_frame(text, line, Some(column)))
                    .unwrap_or_default(),
            }),
        }
    }
}

impl SourceProvider for Sources {
    type Error = Unresolved;

    fn read<'a>(&'a self, file: &Path) -> Result<&'a str, Unresolved> {
        self.texts
            .get(file)
            .map(String::as_str)
            .ok_or_else(|| Unresolved(format!("{} could not be read", self.site(file))))
    }

    fn resolve(&self, specifier: &str, originating: &Path) -> Result<ResolveResult, Unresolved> {
        if specifier.contains("://") || specifier.starts_with("//") {
            return Ok(ResolveResult::External(specifier.to_string()));
        }
        let from = super::assets::plain_url(&self.root, originating);
        let Some(url) = route::absolute(&from, specifier) else {
            return Ok(ResolveResult::External(specifier.to_string()));
        };
        match route::resolve(&self.root, &url) {
            Ok(Target::File { path, .. }) => Ok(ResolveResult::File(path)),
            _ => Err(Unresolved(format!(
                "@import {specifier:?}: no stylesheet answers {url}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for (name, text) in files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        (dir, root)
    }

    #[test]
    fn imports_are_inlined_in_order_and_the_result_is_minified() {
        let (_dir, root) = site(&[
            (
                "css/style.css",
                "@import \"./base.css\";\n@import '/css/theme.css' screen;\n\nmain {\n  color: red;\n}\n",
            ),
            ("css/base.css", "body {\n  margin: 0;\n}\n"),
            ("css/theme.css", "h1 { color: #ff0000; }\n"),
        ]);
        let css = build(&root, &root.join("css/style.css"), |_, _| None).unwrap();
        assert_eq!(
            css,
            "body{margin:0}@media screen{h1{color:red}}main{color:red}"
        );
    }

    #[test]
    fn each_url_is_answered_with_the_file_it_was_written_in() {
        let (_dir, root) = site(&[
            ("css/style.css", "@import './parts/hero.css';\n"),
            (
                "css/parts/hero.css",
                ".hero { background: url(../../img/bg.png) }\n",
            ),
            ("img/bg.png", "png"),
        ]);
        let css = build(&root, &root.join("css/style.css"), |url, file| {
            Some(format!(
                "{url} from {}",
                file.file_name()?.to_string_lossy()
            ))
        })
        .unwrap();
        assert!(css.contains("../../img/bg.png from hero.css"), "{css}");
    }

    #[test]
    fn a_stylesheet_nested_too_deep_is_an_error_not_a_crash() {
        let depth = 200_000;
        let deep = format!("{}{}", ".a { ".repeat(depth), "} ".repeat(depth));
        let (_dir, root) = site(&[
            ("style.css", "@import './deep.css';\n"),
            ("deep.css", &deep),
        ]);
        let error = build(&root, &root.join("style.css"), |_, _| None).unwrap_err();
        assert!(
            error.report.message.contains("deep.css nests more than"),
            "{}",
            error.report.message
        );
    }

    #[test]
    fn a_stylesheet_that_does_not_parse_names_its_file_and_line() {
        let (_dir, root) = site(&[
            ("style.css", "@import './broken.css';\n"),
            (
                "broken.css",
                "a { color: red }\n\n@media screen { a { color: blue }\n",
            ),
        ]);
        let err = build(&root, &root.join("style.css"), |_, _| None);
        // An unclosed block is recovered from; an import of nothing is not.
        assert!(err.is_ok(), "{err:?}");
        let (_dir, root) = site(&[("style.css", "@import './missing.css';\n")]);
        let err = build(&root, &root.join("style.css"), |_, _| None).unwrap_err();
        assert!(err.report.message.contains("missing.css"), "{err}");
        assert_eq!(err.report.file.as_deref(), Some("style.css"));
        assert_eq!(err.report.line, Some(1));
    }
}
