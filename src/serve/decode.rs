//! Undoing a `Content-Encoding`, so that a compressed document can be rewritten: a backend or
//! an app may compress whatever the request asked for. [`decode`] takes a whole body;
//! [`reader`] decodes one that streams, as it arrives.
//!
//! gzip and deflate through flate2, brotli through brotli-decompressor and zstd through ruzstd
//! (all pure Rust). What comes out is bounded: a body that would decode to more than the limit
//! (a compression bomb, or a very large document) is refused, and left as it came.

use std::io::Read;

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("hotplate cannot decode the {0:?} content encoding")]
    Unknown(String),
    #[error("the body is not valid {0}")]
    Corrupt(&'static str),
    #[error("the body decodes to more than {} MB", .0 >> 20)]
    TooLarge(u64),
}

/// Whether hotplate can decode `encoding` (a `Content-Encoding` value).
pub fn is_known(encoding: &str) -> bool {
    matches!(
        encoding.trim().to_ascii_lowercase().as_str(),
        "identity" | "gzip" | "x-gzip" | "deflate" | "br" | "zstd"
    )
}

/// `body` decoded from `encoding`, at most `limit` bytes of it.
pub fn decode(encoding: &str, body: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let encoding = encoding.trim().to_ascii_lowercase();
    match encoding.as_str() {
        "identity" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => bounded(flate2::read::MultiGzDecoder::new(body), limit, "gzip"),
        // `deflate` is zlib-wrapped by the standard, and raw deflate from some servers.
        "deflate" => bounded(flate2::read::ZlibDecoder::new(body), limit, "deflate")
            .or_else(|_| bounded(flate2::read::DeflateDecoder::new(body), limit, "deflate")),
        "br" => bounded(
            brotli_decompressor::Decompressor::new(body, 64 << 10),
            limit,
            "brotli",
        ),
        "zstd" => match ruzstd::decoding::StreamingDecoder::new(body) {
            Ok(decoder) => bounded(decoder, limit, "zstd"),
            Err(_) => Err(DecodeError::Corrupt("zstd")),
        },
        _ => Err(DecodeError::Unknown(encoding)),
    }
}

/// A reader that decodes `encoding` from `inner` as it reads: for a compressed document that
/// streams (it never holds more than a window of it). `None` for an encoding hotplate does not
/// know.
pub fn reader<'a>(encoding: &str, inner: impl Read + 'a) -> Option<Box<dyn Read + 'a>> {
    let encoding = encoding.trim().to_ascii_lowercase();
    let mut inner = std::io::BufReader::new(inner);
    Some(match encoding.as_str() {
        "identity" => Box::new(inner),
        "gzip" | "x-gzip" => Box::new(flate2::bufread::MultiGzDecoder::new(inner)),
        "deflate" => {
            // zlib-wrapped, as the standard says, or raw: the first two bytes tell.
            use std::io::BufRead;
            let head = inner.fill_buf().ok()?;
            let zlib = head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
            if zlib {
                Box::new(flate2::bufread::ZlibDecoder::new(inner))
            } else {
                Box::new(flate2::bufread::DeflateDecoder::new(inner))
            }
        }
        "br" => Box::new(brotli_decompressor::Decompressor::new(inner, 64 << 10)),
        "zstd" => Box::new(ruzstd::decoding::StreamingDecoder::new(inner).ok()?),
        _ => return None,
    })
}

/// Reads `reader` to its end, failing past `limit` bytes.
fn bounded(reader: impl Read, limit: u64, name: &'static str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt(name))?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PAGE: &[u8] = b"<!doctype html><title>t</title><p>compressed</p>";

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn every_common_encoding_decodes() {
        assert_eq!(decode("gzip", &gzip(PAGE), 1 << 20).unwrap(), PAGE);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(PAGE).unwrap();
        assert_eq!(
            decode("deflate", &zlib.finish().unwrap(), 1 << 20).unwrap(),
            PAGE
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(PAGE).unwrap();
        assert_eq!(
            decode("Deflate", &raw.finish().unwrap(), 1 << 20).unwrap(),
            PAGE
        );
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &PAGE[..], &mut br, &Default::default()).unwrap();
        assert_eq!(decode("br", &br, 1 << 20).unwrap(), PAGE);
        let zstd =
            ruzstd::encoding::compress_to_vec(PAGE, ruzstd::encoding::CompressionLevel::Fastest);
        assert_eq!(decode("zstd", &zstd, 1 << 20).unwrap(), PAGE);
    }

    #[test]
    fn a_stream_decodes_as_it_is_read() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(PAGE).unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(PAGE).unwrap();
        for (encoding, body) in [
            ("gzip", gzip(PAGE)),
            ("deflate", zlib.finish().unwrap()),
            ("deflate", raw.finish().unwrap()),
        ] {
            let mut out = Vec::new();
            reader(encoding, &body[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, PAGE, "{encoding}");
        }
        assert!(reader("compress", &b""[..]).is_none());
    }

    #[test]
    fn a_bomb_is_refused_at_the_limit() {
        let bomb = gzip(&vec![b'a'; 10 << 20]);
        assert!(bomb.len() < 100 << 10);
        assert_eq!(
            decode("gzip", &bomb, 1 << 20),
            Err(DecodeError::TooLarge(1 << 20))
        );
    }

    #[test]
    fn garbage_and_unknown_encodings_are_errors() {
        assert_eq!(
            decode("gzip", b"not gzip", 1 << 20),
            Err(DecodeError::Corrupt("gzip"))
        );
        assert!(matches!(
            decode("compress", b"x", 1 << 20),
            Err(DecodeError::Unknown(_))
        ));
        assert!(!is_known("compress"));
        assert!(is_known("GZIP"));
    }
}
