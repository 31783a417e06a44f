//! Precompression: a `.br` and a `.gz` beside every text file over [`MIN_SIZE`], for servers
//! that send a stored variant by `Accept-Encoding` (nginx's `gzip_static`/`brotli_static`,
//! Caddy's `precompressed`, tower-http's `ServeDir::precompressed_br`/`_gzip`) instead of
//! compressing each response.
//!
//! gzip is made at level 9. brotli's quality follows what a file is: its best (11) for
//! fingerprinted assets, which are compressed once and then served to every visitor for good;
//! 6 for pages and source maps, which are many, change with every deploy, and at 11 would cost
//! about 2 ms a page (a 1,000-page site: a second) for 15% fewer bytes. Both encoders are
//! deterministic, and the gzip header carries no name or time, so the same file always gives
//! the same bytes.

use std::io::Write;

/// Files this size or smaller are not worth a variant (a response header costs about as much).
pub const MIN_SIZE: usize = 1024;

/// Extensions of the text files that get variants.
const TEXT: [&str; 12] = [
    "html",
    "css",
    "js",
    "mjs",
    "json",
    "map",
    "svg",
    "txt",
    "xml",
    "webmanifest",
    "md",
    "wasm",
];

/// Whether the file at `path` gets a `.br` and a `.gz`.
pub fn wanted(path: &str, len: usize) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    len > MIN_SIZE && ext.is_some_and(|ext| TEXT.contains(&ext.as_str()))
}

/// The brotli quality for the file at `path`: 6 for pages and maps, 11 for the rest.
pub fn brotli_quality(path: &str) -> i32 {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "map") => 6,
        _ => 11,
    }
}

/// `bytes` compressed with brotli at `quality`.
pub fn brotli(bytes: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("writing to memory");
    out
}

/// `bytes` compressed with gzip, level 9, with no name or time in the header.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn text_files_over_a_kilobyte_get_variants_and_others_do_not() {
        assert!(wanted("/index.html", 1025));
        assert!(wanted("/assets/main.4f9c2a1b.js", 5000));
        assert!(wanted("/logo.SVG", 5000));
        assert!(!wanted("/index.html", 1024));
        assert!(!wanted("/photo.png", 50_000));
        assert!(!wanted("/LICENSE", 50_000));
    }

    #[test]
    fn assets_get_brotli_at_its_best_and_pages_and_maps_at_a_quick_quality() {
        assert_eq!(brotli_quality("/assets/main.4f9c2a1b.js"), 11);
        assert_eq!(brotli_quality("/style.4f9c2a1b.css"), 11);
        assert_eq!(brotli_quality("/blog/post/index.html"), 6);
        assert_eq!(brotli_quality("/assets/main.4f9c2a1b.js.map"), 6);
    }

    #[test]
    fn each_variant_decodes_to_the_file_and_is_the_same_every_time() {
        let text = "<p>hotplate</p>\n".repeat(200);
        let gz = gzip(text.as_bytes());
        assert_eq!(gz, gzip(text.as_bytes()));
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, text);
        let br = brotli(text.as_bytes(), 11);
        assert_eq!(br, brotli(text.as_bytes(), 11));
        let mut plain = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, text);
        assert!(br.len() < text.len() / 10 && gz.len() < text.len() / 10);
    }
}
