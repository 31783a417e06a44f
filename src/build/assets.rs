//! Fingerprints: a file's built name carries a hash of its built content
//! (`style.css` → `style.4f9c2a1b.css`), so a URL changes exactly when what it serves does
//! and every such URL can be cached for good.
//!
//! Also what `asset("/style.css")` returns while a page renders for the build: a [`marker`]
//! around the URL, since the fingerprint is known only once every page has said what it uses.
//! The page pass ([`super::html`]) reads a marker as the URL inside it, and
//! [`replace_markers`] writes the final URL wherever else the marker stands (an inline script,
//! a `<meta content>`).

use xxhash_rust::xxh3::xxh3_64;

/// How many hex digits of the content hash a name carries.
const HASH_DIGITS: usize = 8;

/// A hash of `bytes`, the same on every run and machine.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxh3_64(bytes))[..HASH_DIGITS].to_string()
}

/// [`content_hash`] of the file at `path`, read in pieces (a video is never held whole).
pub fn file_hash(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:016x}", hasher.digest())[..HASH_DIGITS].to_string())
}

/// `url_path` (`/css/style.css`) with `hash` before its extension (`/css/style.4f9c2a1b.css`).
pub fn fingerprinted(url_path: &str, hash: &str) -> String {
    let (folder, name) = url_path.rsplit_once('/').unwrap_or(("", url_path));
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{folder}/{stem}.{hash}.{ext}"),
        _ => format!("{folder}/{name}.{hash}"),
    }
}

/// The URL a request for `file` (under `root`) uses, as the dev server serves it: its path from
/// the root, or from `public/` for the files there, percent-encoded.
pub fn plain_url(root: &std::path::Path, file: &std::path::Path) -> String {
    let relative = file
        .strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/");
    crate::base::SitePath::new(&relative).url()
}

/// Where the file answering `url` is written under the output folder: the URL's path,
/// decoded (`/a%20b.png` → `a b.png`).
pub fn output_path(url: &str) -> String {
    percent_encoding::percent_decode_str(url.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned()
}

const MARKER_START: &str = "__hotplate_asset(";
const MARKER_END: &str = ")__";

/// What `asset(url)` returns during a build.
pub fn marker(url: &str) -> String {
    format!("{MARKER_START}{url}{MARKER_END}")
}

/// The URL inside `value`, when `value` is exactly one marker.
pub fn unwrap_marker(value: &str) -> Option<&str> {
    value
        .trim()
        .strip_prefix(MARKER_START)?
        .strip_suffix(MARKER_END)
}

/// The URLs of every marker in `text`.
pub fn markers(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(MARKER_START) {
        let after = &rest[start + MARKER_START.len()..];
        let Some(end) = after.find(MARKER_END) else {
            break;
        };
        found.push(&after[..end]);
        rest = &after[end + MARKER_END.len()..];
    }
    found
}

/// `text` with every marker replaced by what `url` answers for the URL inside it.
pub fn replace_markers(text: &str, url: impl Fn(&str) -> String) -> String {
    if !text.contains(MARKER_START) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(MARKER_START) {
        let after = &rest[start + MARKER_START.len()..];
        let Some(end) = after.find(MARKER_END) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&url(&after[..end]));
        rest = &after[end + MARKER_END.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_goes_before_the_extension() {
        assert_eq!(
            fingerprinted("/css/style.css", "4f9c2a1b"),
            "/css/style.4f9c2a1b.css"
        );
        assert_eq!(fingerprinted("/LICENSE", "4f9c2a1b"), "/LICENSE.4f9c2a1b");
        assert_eq!(fingerprinted("/.hidden", "4f9c2a1b"), "/.hidden.4f9c2a1b");
    }

    #[test]
    fn a_content_hash_is_stable_and_follows_the_content() {
        assert_eq!(content_hash(b"body{}"), content_hash(b"body{}"));
        assert_ne!(content_hash(b"body{}"), content_hash(b"body{ }"));
        assert_eq!(content_hash(b"").len(), HASH_DIGITS);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big.bin");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(
            file_hash(&file).unwrap(),
            content_hash(&bytes),
            "read in pieces, the same"
        );
    }

    #[test]
    fn a_files_url_is_encoded_and_its_output_path_is_not() {
        let root = std::path::Path::new("/site");
        let url = plain_url(root, std::path::Path::new("/site/public/a b#1.png"));
        assert_eq!(url, "/a%20b%231.png");
        assert_eq!(output_path(&url), "a b#1.png");
        assert_eq!(
            plain_url(root, std::path::Path::new("/site/css/x.css")),
            "/css/x.css"
        );
    }

    #[test]
    fn markers_are_found_and_replaced_anywhere_in_a_page() {
        let page = format!(
            "<meta content=\"{}\"><script>const logo = \"{}\"</script>",
            marker("/og.png"),
            marker("/logo.svg")
        );
        assert_eq!(markers(&page), ["/og.png", "/logo.svg"]);
        assert_eq!(
            replace_markers(&page, |url| format!("{url}!")),
            "<meta content=\"/og.png!\"><script>const logo = \"/logo.svg!\"</script>"
        );
        assert_eq!(unwrap_marker(&marker("/a.css")), Some("/a.css"));
        assert_eq!(unwrap_marker("/a.css"), None);
    }
}
