//! The output folder: every built file is written into a fresh folder beside it, which takes
//! its place only when the whole build succeeded. A build that fails (or is stopped) leaves the
//! last `dist/` whole, and a static host that serves it never sees half of a new one.

use super::BuildError;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The built files by their path under the output folder (`about/index.html`), in order, so
/// that everything made from them (the report, the write) is the same on every run.
pub type Files = BTreeMap<String, Content>;

/// What a built file holds: bytes the build made, or a file of the site copied as it is (an
/// image, a video in `public/`), which is never held in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Made(Vec<u8>),
    Copied { from: PathBuf, len: u64 },
}

impl Content {
    pub fn len(&self) -> u64 {
        match self {
            Content::Made(bytes) => bytes.len() as u64,
            Content::Copied { len, .. } => *len,
        }
    }

    /// The bytes, read for a copied file.
    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Content::Made(bytes) => Ok(std::borrow::Cow::Borrowed(bytes)),
            Content::Copied { from, .. } => std::fs::read(from).map(std::borrow::Cow::Owned),
        }
    }
}

/// Checks that `out` may be replaced: it is not the site, nor a folder the site lives in, nor
/// one of the folders the site is made of.
pub fn check(root: &Path, out: &Path) -> Result<(), BuildError> {
    let refuse = |why: &str| {
        Err(BuildError::BadOut {
            out: out.to_path_buf(),
            why: why.to_string(),
        })
    };
    if root.starts_with(out) {
        return refuse("it holds the site itself, and the build replaces the whole folder");
    }
    if let Ok(inside) = out.strip_prefix(root) {
        let first = inside.components().next().map(|c| c.as_os_str());
        let inputs = [
            "pages",
            "layouts",
            "partials",
            "content",
            "data",
            "public",
            "node_modules",
        ];
        if first.is_some_and(|first| inputs.iter().any(|i| first == *i)) {
            return refuse("it is one of the site's own folders, which the build reads");
        }
    }
    if out.exists() && !out.is_dir() {
        return refuse("it is a file");
    }
    Ok(())
}

/// Writes `files` into a new folder beside `out`, then puts it in `out`'s place.
pub fn write(out: &Path, files: &Files) -> Result<(), BuildError> {
    let parent = out.parent().unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map_or_else(|| "dist".into(), |n| n.to_string_lossy().into_owned());
    std::fs::create_dir_all(parent).map_err(|e| BuildError::io(parent, e))?;
    let fresh = parent.join(format!(".{name}.building-{}", std::process::id()));
    let result = fill(&fresh, files).and_then(|()| swap(&fresh, out, parent, &name));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&fresh);
    }
    result
}

fn fill(folder: &Path, files: &Files) -> Result<(), BuildError> {
    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(|e| BuildError::io(folder, e))?;
    }
    std::fs::create_dir_all(folder).map_err(|e| BuildError::io(folder, e))?;
    // Folders first, once each; then the files, on every core: creating a file is mostly the
    // kernel's work (a page is three files), and two threads create them in about half the time.
    let folders: std::collections::BTreeSet<PathBuf> = files
        .keys()
        .filter_map(|path| folder.join(path).parent().map(Path::to_path_buf))
        .collect();
    for dir in &folders {
        std::fs::create_dir_all(dir).map_err(|e| BuildError::io(dir, e))?;
    }
    files.par_iter().try_for_each(|(path, content)| {
        let file = folder.join(path);
        match content {
            Content::Made(bytes) => std::fs::write(&file, bytes),
            // The kernel copies (copy_file_range): nothing of it passes through memory here.
            Content::Copied { from, .. } => std::fs::copy(from, &file).map(|_| ()),
        }
        .map_err(|e| BuildError::io(&file, e))
    })
}

/// `fresh` becomes `out`; the old `out`, if any, is moved aside first and removed after.
fn swap(fresh: &Path, out: &Path, parent: &Path, name: &str) -> Result<(), BuildError> {
    let old: Option<PathBuf> = if out.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(out, &old).map_err(|e| BuildError::io(out, e))?;
        Some(old)
    } else {
        None
    };
    if let Err(err) = std::fs::rename(fresh, out) {
        if let Some(old) = &old {
            let _ = std::fs::rename(old, out);
        }
        return Err(BuildError::io(out, err));
    }
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_its_parents_and_its_own_folders_are_never_an_output() {
        let root = Path::new("/srv/site");
        assert!(check(root, Path::new("/srv/site")).is_err());
        assert!(check(root, Path::new("/srv")).is_err());
        assert!(check(root, Path::new("/srv/site/pages")).is_err());
        assert!(check(root, Path::new("/srv/site/public/out")).is_err());
        assert!(check(root, Path::new("/srv/site/dist")).is_ok());
        assert!(check(root, Path::new("/srv/dist")).is_ok());
    }

    #[test]
    fn a_written_build_replaces_the_last_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        std::fs::create_dir_all(out.join("old")).unwrap();
        std::fs::write(out.join("old/stale.html"), "stale").unwrap();
        let files: Files = [("index.html".to_string(), Content::Made(b"new".to_vec()))].into();
        write(&out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"new");
        assert!(!out.join("old").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "nothing but dist/ is left beside it");
    }
}
