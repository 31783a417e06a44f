//! npm packages in the browser, without a bundler: the files of ES-module packages under the
//! `node_modules` of the root (or of its workspace's root, [`crate::modules::npm`]), served at
//! `/__hotplate/npm/<path from that root>?v=<key>`.
//!
//! - A bare specifier in a module (`preact`, `@scope/pkg/sub`) is resolved the way Node
//!   resolves it for a browser ([`crate::modules::resolve`]) and written as that URL
//!   ([`crate::serve::module`]).
//! - A package's own modules are rewritten the same way, relative imports included, so that
//!   every module of a package has exactly one URL and runs once.
//! - The key is a hash of the lockfile: an install changes every URL, so the files are served
//!   with immutable caching.
//!
//! Packages are served as they are: no `import.meta.hot`, no graph. A package file that is
//! not an ES module is refused with an error that names it.

use crate::modules::npm::{PREFIX, is_package_file, is_script, looks_commonjs};
use crate::rewrite::js;
use crate::serve::Scripts;
use crate::serve::{module, specifiers};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The package file the rest of a URL under [`PREFIX`] names: decoded once, without `.`,
/// `..` or smuggled separators, and still a package file once symlinks are resolved (pnpm's
/// `node_modules/.pnpm` included). Dotfiles and other dot-folders are never served, as written
/// or as resolved: a package may hold a `.env`, and `node_modules/.npmrc` a registry token.
fn file_of(root: &Path, rest: &str) -> Option<PathBuf> {
    let mut candidate = root.to_path_buf();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode_str(raw).decode_utf8().ok()?;
        if segment.contains(['/', '\\', '\0']) || is_hidden(&segment) {
            return None;
        }
        candidate.push(segment.as_ref());
    }
    if candidate
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return None;
    }
    let real = std::fs::canonicalize(&candidate).ok()?;
    let hidden = real
        .strip_prefix(root)
        .ok()?
        .components()
        .any(|c| is_hidden(&c.as_os_str().to_string_lossy()));
    (!hidden && real.is_file() && is_package_file(root, &real)).then_some(real)
}

/// Whether a path segment is hidden from the npm route: `.` and `..`, dotfiles and dot-folders,
/// except pnpm's store (`.pnpm`), where its packages really are.
fn is_hidden(segment: &str) -> bool {
    segment.starts_with('.') && segment != ".pnpm"
}

/// Answers `/__hotplate/npm/…`.
pub async fn serve(State(scripts): State<Arc<Scripts>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let versioned = crate::protocol::query_has(req.uri().query(), crate::protocol::VERSION_PARAM);
    crate::pool::run(move || answer(&scripts, &path, versioned)).await
}

fn answer(scripts: &Scripts, path: &str, versioned: bool) -> Response {
    // Nested under `/__hotplate`, the runtime router sees `/npm/…`; called whole, `PREFIX…`.
    let rest = path
        .strip_prefix(PREFIX)
        .or_else(|| path.strip_prefix("/npm/"))
        .unwrap_or(path);
    let Some(file) = file_of(scripts.modules.packages_root(), rest) else {
        return (
            StatusCode::NOT_FOUND,
            format!("hotplate: no package file at {path}\n"),
        )
            .into_response();
    };
    let Ok(bytes) = std::fs::read(&file) else {
        return (
            StatusCode::NOT_FOUND,
            format!("hotplate: cannot read {path}\n"),
        )
            .into_response();
    };
    let (body, content_type) = if is_script(&file) {
        let source = String::from_utf8_lossy(&bytes).into_owned();
        match rewrite_package_script(scripts, &file, source) {
            Ok(code) => (code.into_bytes(), module::JAVASCRIPT.to_string()),
            Err(message) => {
                tracing::warn!("{message}");
                return (StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n")).into_response();
            }
        }
    } else {
        let guess = mime_guess::from_path(&file).first_or_octet_stream();
        (bytes, guess.essence_str().to_string())
    };
    crate::serve::cache::whole_file(body, &content_type, versioned)
}

/// A package's module with every specifier written as the URL that serves what it names.
fn rewrite_package_script(
    scripts: &Scripts,
    file: &Path,
    source: String,
) -> Result<String, String> {
    let source = define_node_env(source);
    let name = file.to_string_lossy();
    let analysis = scripts
        .modules
        .scripts
        .analyze(&name, &source)
        .map_err(|error| {
            format!(
                "{name}: {}",
                error.report(&crate::base::SitePath::new(&name)).one_line()
            )
        })?;
    if !analysis.module_syntax && looks_commonjs(&source) {
        return Err(format!(
            "{name} is a CommonJS module: hotplate serves ES-module packages as they are, and \
             converts CommonJS ones imported by name (/__hotplate/deps/)"
        ));
    }
    let resolved = specifiers::resolutions(scripts, file, &analysis, |text| {
        !scripts.modules.is_import_mapped(text)
    });
    Ok(js::rewrite(&source, &analysis, None, |specifier, _| {
        resolved.get(specifier).cloned()
    }))
}

/// `process.env.NODE_ENV` written as `"development"`, as bundlers define it: ES-module builds
/// of many packages test it, and a browser has no `process`.
fn define_node_env(source: String) -> String {
    const NODE_ENV: &str = "process.env.NODE_ENV";
    if !source.contains(NODE_ENV) {
        return source;
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source.as_str();
    while let Some(at) = rest.find(NODE_ENV) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + NODE_ENV.len()..].chars().next();
        let part_of_a_name =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        let is_a_member = before == Some('.');
        out.push_str(&rest[..at]);
        if part_of_a_name(before) || is_a_member || part_of_a_name(after) {
            out.push_str(NODE_ENV);
        } else {
            out.push_str("\"development\"");
        }
        rest = &rest[at + NODE_ENV.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_env_is_defined_as_development_where_it_is_the_whole_expression() {
        assert_eq!(
            define_node_env("if (process.env.NODE_ENV !== 'production') warn();".into()),
            "if (\"development\" !== 'production') warn();"
        );
        for kept in [
            "globalThis.process.env.NODE_ENV",
            "process.env.NODE_ENV_EXTRA",
            "myprocess.env.NODE_ENV",
        ] {
            assert_eq!(define_node_env(kept.into()), kept);
        }
    }
}
