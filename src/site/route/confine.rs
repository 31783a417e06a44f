//! Confinement: a URL path becomes plain segments that cannot climb out of the root, and the
//! file they lead to (symlinks resolved) must still lie under it.
//!
//! 1. [`sanitize`]: the URL path is decoded once into plain segments; `..`, `.`, encoded
//!    slashes, backslashes and NUL are refused, dotfiles are not found.
//! 2. [`enforce`]: the file a path leads to, symlinks resolved, must still lie under the root.

use percent_encoding::percent_decode_str;
use std::path::{Path, PathBuf};

/// Why a path is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the path {0:?} tries to leave the site root")]
    Traversal(String),
    #[error("the path is not valid UTF-8 after percent-decoding")]
    BadEncoding,
    #[error("not found")]
    Hidden,
}

/// Decodes a URL path into plain segments, refusing anything that could climb out of the root.
pub fn sanitize(url_path: &str) -> Result<Vec<String>, Refused> {
    let mut segments = Vec::new();
    for raw in url_path.split('/') {
        if raw.is_empty() {
            continue;
        }
        let segment = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| Refused::BadEncoding)?;
        let climbs = segment == "." || segment == "..";
        let smuggles = segment.contains(['/', '\\', '\0']);
        if climbs || smuggles {
            return Err(Refused::Traversal(url_path.to_string()));
        }
        if segment.starts_with('.') {
            return Err(Refused::Hidden);
        }
        segments.push(segment.into_owned());
    }
    Ok(segments)
}

/// Resolves symlinks in `candidate` and checks the result is under `root` (canonical) and not
/// hidden. `Ok(None)` when the file does not exist.
pub fn enforce(root: &Path, candidate: &Path) -> Result<Option<PathBuf>, Refused> {
    let real = match std::fs::canonicalize(candidate) {
        Ok(real) => real,
        Err(_) => return Ok(None),
    };
    let Ok(relative) = real.strip_prefix(root) else {
        // Named as the site knows it: an error page never shows where the machine keeps it.
        let named = candidate.strip_prefix(root).unwrap_or(Path::new("?"));
        return Err(Refused::Traversal(format!("/{}", named.display())));
    };
    let hidden = relative
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
    if hidden {
        return Err(Refused::Hidden);
    }
    Ok(Some(real))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_decode_once_into_segments() {
        assert_eq!(sanitize("/a/b%20c/").unwrap(), vec!["a", "b c"]);
        assert_eq!(sanitize("//etc//passwd").unwrap(), vec!["etc", "passwd"]);
        // Decoded once: an encoded percent stays a literal percent.
        assert_eq!(sanitize("/%252e%252e/x").unwrap(), vec!["%2e%2e", "x"]);
    }

    #[test]
    fn traversal_attempts_are_refused() {
        for path in [
            "/../etc/passwd",
            "/a/./b",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/..%2fetc",
            "/a%5c..%5cb",
            "/a%00.css",
            "/..",
        ] {
            assert!(
                matches!(sanitize(path), Err(Refused::Traversal(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn dotfiles_are_not_found() {
        assert_eq!(sanitize("/.env"), Err(Refused::Hidden));
        assert_eq!(sanitize("/.git/config"), Err(Refused::Hidden));
        assert_eq!(sanitize("/%2egit/config"), Err(Refused::Hidden));
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let site = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(site.path()).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link")).unwrap();
        std::fs::write(root.join("ok.txt"), "ok").unwrap();
        assert!(matches!(
            enforce(&root, &root.join("link")),
            Err(Refused::Traversal(_))
        ));
        assert_eq!(
            enforce(&root, &root.join("ok.txt")),
            Ok(Some(root.join("ok.txt")))
        );
        assert_eq!(enforce(&root, &root.join("missing")), Ok(None));
    }

    proptest! {
        /// No URL path, however encoded, leads outside the root.
        #[test]
        fn no_path_escapes_the_root(path in "(/|[a-z]|\\.|%2[eEfF]|%5[cC]|%00|%25|\\\\){0,24}") {
            if let Ok(segments) = sanitize(&path) {
                let root = Path::new("/srv/site");
                let joined = segments.iter().fold(root.to_path_buf(), |p, s| p.join(s));
                prop_assert!(joined.starts_with(root));
                for s in &segments {
                    prop_assert!(s != ".." && s != "." && !s.contains(['/', '\\', '\0']));
                }
                prop_assert!(joined.components().count() == root.components().count() + segments.len());
            }
        }
    }
}
