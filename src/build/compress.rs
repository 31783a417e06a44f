//! Precompression: a `.br` and a `.gz` beside every text file over [`MIN_SIZE`] (up to
//! [`MAX_SIZE`]), for servers
//! that send a stored variant by `Accept-Encoding` (nginx's `gzip_static`/`brotli_static`,
//! Caddy's `precompressed`, tower-http's `ServeDir::precompressed_br`/`_gzip`) instead of
//! compressing each response.
//!
//! The settings follow what a file is, because brotli's best costs about a microsecond a byte
//! (1.3 s for React's source map):
//! - fingerprinted assets up to 128 KB: brotli 11, gzip 9. They are compressed once and then
//!   served to every visitor for good;
//! - larger ones: brotli 7 (8% bigger than 11, at a twentieth of its time: 12 ms instead of
//!   270 for React's 220 KB bundle);
//! - pages: brotli 6, gzip 9. They are many and change with every deploy; at 11 a small page
//!   costs about 2 ms (a 1,000-page site: a second) for 15% fewer bytes;
//! - source maps: brotli 5, gzip 6. Only a debugger fetches them.
//!
//! Both encoders are deterministic, and the gzip header carries no name or time, so the same
//! file always gives the same bytes.

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
pub fn wanted(path: &str, len: u64) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    len > MIN_SIZE as u64 && len <= MAX_SIZE && ext.is_some_and(|ext| TEXT.contains(&ext.as_str()))
}

/// Text files larger than this are copied without variants: compressing one means holding it
/// whole (a data dump in `public/`, not a page).
pub const MAX_SIZE: u64 = 64 << 20;

/// Files larger than this get a quicker brotli quality.
const LARGE: usize = 128 * 1024;

/// The brotli quality for the file at `path`, `len` bytes long.
pub fn brotli_quality(path: &str, len: usize) -> i32 {
    match extension(path).as_deref() {
        Some("map") => 5,
        Some("html") => 6,
        _ if len > LARGE => 7,
        _ => 11,
    }
}

/// The gzip level for the file at `path`.
pub fn gzip_level(path: &str) -> u32 {
    match extension(path).as_deref() {
        Some("map") => 6,
        _ => 9,
    }
}

fn extension(path: &str) -> Option<String> {
    path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
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

/// `bytes` compressed with gzip at `level`, with no name or time in the header.
pub fn gzip(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(level));
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
        assert!(!wanted("/dump.json", MAX_SIZE + 1));
    }

    #[test]
    fn small_assets_get_the_best_compression_and_large_files_pages_and_maps_a_quicker_one() {
        assert_eq!(brotli_quality("/assets/main.4f9c2a1b.js", 60_000), 11);
        assert_eq!(brotli_quality("/style.4f9c2a1b.css", 10_000), 11);
        assert_eq!(brotli_quality("/assets/main.4f9c2a1b.js", 220_000), 7);
        assert_eq!(brotli_quality("/blog/post/index.html", 5_000), 6);
        assert_eq!(brotli_quality("/assets/main.4f9c2a1b.js.map", 900_000), 5);
        assert_eq!(gzip_level("/assets/main.4f9c2a1b.js.map"), 6);
        assert_eq!(gzip_level("/index.html"), 9);
    }

    #[test]
    fn each_variant_decodes_to_the_file_and_is_the_same_every_time() {
        let text = "<p>hotplate</p>\n".repeat(200);
        let gz = gzip(text.as_bytes(), 9);
        assert_eq!(gz, gzip(text.as_bytes(), 9));
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
