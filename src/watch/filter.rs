//! Which paths the watcher never reports: hidden files (but the root's `.env` files), editor
//! temp files, what the root's `.gitignore` and `.ignore` leave out (read once, with the
//! `ignore` crate), what is outside an app's mounted folders, and what backends write as they
//! run.

use crate::settings::Settings;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;

/// Decides which paths the watcher never reports. Paths are relative to the site root.
pub trait Filter: Send + Sync + 'static {
    fn is_ignored(&self, relative: &Path, is_dir: bool) -> bool;
}

/// The default [`Filter`]: hidden files, editor temp files and the root's ignore files.
pub struct IgnoreRules {
    gitignore: Gitignore,
}

impl IgnoreRules {
    /// Reads `.gitignore` and `.ignore` at the root; a missing or broken file adds no rules.
    pub fn load(root: &Path) -> IgnoreRules {
        let mut builder = GitignoreBuilder::new(root);
        for name in [".gitignore", ".ignore"] {
            let path = root.join(name);
            if path.is_file()
                && let Some(err) = builder.add(&path)
            {
                tracing::warn!("ignoring part of {}: {err}", path.display());
            }
        }
        let gitignore = builder.build().unwrap_or_else(|err| {
            tracing::warn!("ignore rules not used: {err}");
            Gitignore::empty()
        });
        IgnoreRules { gitignore }
    }
}

impl Filter for IgnoreRules {
    fn is_ignored(&self, relative: &Path, is_dir: bool) -> bool {
        // The root's `.env` files are watched, hidden and git-ignored as they are: they change
        // what `import.meta.env` holds.
        if crate::modules::env::is_env_file(&relative.to_string_lossy()) {
            return false;
        }
        let hidden = relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        let temp = relative
            .file_name()
            .is_some_and(|name| is_editor_temp(&name.to_string_lossy()));
        hidden
            || temp
            || self
                .gitignore
                .matched_path_or_any_parents(relative, is_dir)
                .is_ignore()
    }
}

/// Names that editors write next to the file being saved: vim's swap files and `4913` probe,
/// backup files ending in `~`, Emacs locks and autosaves, JetBrains' safe-write files and
/// generic `.tmp` files.
pub fn is_editor_temp(name: &str) -> bool {
    name == "4913"
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || [
            ".swp",
            ".swo",
            ".swx",
            ".tmp",
            ".TMP",
            "___jb_tmp___",
            "___jb_old___",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// What the watcher of one site (or app, or backend's root) reports: only an app's mounted
/// folders, or all of a site's root; never what the ignore rules leave out, nor, at a
/// backend's root, what backends write as they run.
pub struct Scope {
    rules: IgnoreRules,
    /// A backend's root (`--proxy`): what backends write as they run is not watched.
    backend: bool,
    /// Relative to the root; empty for a site.
    folders: Vec<std::path::PathBuf>,
}

impl Scope {
    /// The scope `settings` describe, its ignore rules read once.
    pub fn of(settings: &Settings) -> Scope {
        Scope {
            rules: IgnoreRules::load(&settings.root),
            backend: settings.proxy.is_some(),
            folders: settings
                .mounts
                .iter()
                .filter_map(|m| m.folder.strip_prefix(&settings.root).ok())
                .map(Path::to_path_buf)
                .collect(),
        }
    }
}

impl Filter for Scope {
    fn is_ignored(&self, relative: &Path, is_dir: bool) -> bool {
        let outside = !self.folders.is_empty()
            && !self
                .folders
                .iter()
                .any(|f| relative.starts_with(f) || (is_dir && f.starts_with(relative)));
        outside
            || (self.backend && written_by_backends(relative, is_dir))
            || self.rules.is_ignored(relative, is_dir)
    }
}

/// Folders and files that backends and their tools write while they run: logs, databases,
/// caches, build output and installed packages. Watched, each request a backend logs would
/// refresh the pages, which would request again.
fn written_by_backends(relative: &Path, is_dir: bool) -> bool {
    const FOLDERS: &[&str] = &[
        "__pycache__",
        "node_modules",
        "target",
        "log",
        "logs",
        "tmp",
        "storage",
        "vendor",
        "venv",
    ];
    const SUFFIXES: &[&str] = &[
        ".log", ".pyc", ".sqlite", ".sqlite3", ".db", "-journal", "-wal", "-shm", ".pid",
    ];
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        let name = component.as_os_str().to_string_lossy();
        let folder = is_dir || components.peek().is_some();
        if folder && FOLDERS.contains(&name.as_ref()) {
            return true;
        }
        if !folder && SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_backends_write_as_they_run_is_not_watched() {
        assert!(written_by_backends(Path::new("log/development.log"), false));
        assert!(written_by_backends(Path::new("db.sqlite3"), false));
        assert!(written_by_backends(Path::new("app/__pycache__"), true));
        assert!(written_by_backends(Path::new("target/debug/app"), false));
        assert!(!written_by_backends(Path::new("app.py"), false));
        assert!(!written_by_backends(Path::new("templates/log.html"), false));
        assert!(!written_by_backends(Path::new("src/logic"), true));
    }
}
