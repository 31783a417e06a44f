//! Undoing a `Content-Encoding`, so that a compressed document can be rewritten: a backend or
//! an app may compress whatever the request asked for. [`decode`] takes a whole body;
//! [`Decoder`] decodes one that streams, piece by piece as it arrives.
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

/// Whether a document that streams in `encoding` can be decoded as it arrives
/// ([`Decoder`]): zstd cannot (ruzstd decodes from a reader only), so such a document is read
/// whole, within the same limit as any other.
pub fn streams(encoding: &str) -> bool {
    is_known(encoding) && !encoding.trim().eq_ignore_ascii_case("zstd")
}

/// The most one piece fed to a [`Decoder`] may decode to. A compressed page is rarely more
/// than 20 times smaller than itself; a piece that decodes to more is a bomb.
pub const PIECE_LIMIT: usize = 8 << 20;

/// Decodes a body that streams, piece by piece as it arrives ([`Decoder::feed`]): nothing waits
/// for the next piece, so a decoder can be carried from one pool job to the next. What one
/// piece decodes to is bounded by [`PIECE_LIMIT`].
pub struct Decoder(Stage);

enum Stage {
    /// `deflate` before its first two bytes say whether it is zlib-wrapped or raw.
    Deflate(Vec<u8>),
    Gzip(flate2::write::MultiGzDecoder<Output>),
    Zlib(flate2::write::ZlibDecoder<Output>),
    Raw(flate2::write::DeflateDecoder<Output>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Output>>),
}

/// How much of a piece is decoded before the output is measured again.
const STEP: usize = 512;

/// What a decoder decoded since it was last emptied.
#[derive(Default)]
struct Output(Vec<u8>);

impl std::io::Write for Output {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Decoder {
    /// A decoder for `encoding`, when it [`streams`].
    pub fn new(encoding: &str) -> Option<Decoder> {
        let encoding = encoding.trim().to_ascii_lowercase();
        Some(Decoder(match encoding.as_str() {
            "gzip" | "x-gzip" => Stage::Gzip(flate2::write::MultiGzDecoder::new(Output::default())),
            "deflate" => Stage::Deflate(Vec::new()),
            "br" => Stage::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                Output::default(),
                64 << 10,
            ))),
            _ => return None,
        }))
    }

    /// Decodes the next piece of the body; returns what it decoded to so far.
    pub fn feed(&mut self, piece: &[u8]) -> Result<Vec<u8>, DecodeError> {
        use std::io::Write;
        if let Stage::Deflate(head) = &mut self.0 {
            head.extend_from_slice(piece);
            if head.len() < 2 {
                return Ok(Vec::new());
            }
            // zlib-wrapped, as the standard says, or raw: the first two bytes tell.
            let zlib =
                head[0] & 0x0f == 8 && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
            let head = std::mem::take(head);
            self.0 = if zlib {
                Stage::Zlib(flate2::write::ZlibDecoder::new(Output::default()))
            } else {
                Stage::Raw(flate2::write::DeflateDecoder::new(Output::default()))
            };
            return self.feed(&head);
        }
        // In small steps, so that a bomb is caught soon after it passes the limit.
        for step in piece.chunks(STEP) {
            let (written, name) = match &mut self.0 {
                Stage::Deflate(_) => unreachable!("handled above"),
                Stage::Gzip(d) => (d.write_all(step).and_then(|()| d.flush()), "gzip"),
                Stage::Zlib(d) => (d.write_all(step).and_then(|()| d.flush()), "deflate"),
                Stage::Raw(d) => (d.write_all(step).and_then(|()| d.flush()), "deflate"),
                Stage::Brotli(d) => (d.write_all(step).and_then(|()| d.flush()), "brotli"),
            };
            written.map_err(|_| DecodeError::Corrupt(name))?;
            if self.output().0.len() > PIECE_LIMIT {
                return Err(DecodeError::TooLarge(PIECE_LIMIT as u64));
            }
        }
        Ok(std::mem::take(&mut self.output().0))
    }

    /// The end of the body: what the decoder still held.
    pub fn finish(mut self) -> Result<Vec<u8>, DecodeError> {
        let finished = match &mut self.0 {
            Stage::Deflate(head) if head.is_empty() => return Ok(Vec::new()),
            Stage::Deflate(_) => return Err(DecodeError::Corrupt("deflate")),
            Stage::Gzip(d) => d.try_finish(),
            Stage::Zlib(d) => d.try_finish(),
            Stage::Raw(d) => d.try_finish(),
            Stage::Brotli(d) => d.close(),
        };
        finished.map_err(|_| DecodeError::Corrupt("compressed"))?;
        Ok(std::mem::take(&mut self.output().0))
    }

    fn output(&mut self) -> &mut Output {
        match &mut self.0 {
            Stage::Gzip(d) => d.get_mut(),
            Stage::Zlib(d) => d.get_mut(),
            Stage::Raw(d) => d.get_mut(),
            Stage::Brotli(d) => d.get_mut(),
            Stage::Deflate(_) => unreachable!("no output before the first two bytes"),
        }
    }
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

    /// `body` fed to a [`Decoder`] in pieces of `size` bytes.
    fn fed(encoding: &str, body: &[u8], size: usize) -> Result<Vec<u8>, DecodeError> {
        let mut decoder = Decoder::new(encoding).unwrap();
        let mut out = Vec::new();
        for piece in body.chunks(size) {
            out.extend(decoder.feed(piece)?);
        }
        out.extend(decoder.finish()?);
        Ok(out)
    }

    #[test]
    fn a_stream_decodes_piece_by_piece_as_it_arrives() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(PAGE).unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(PAGE).unwrap();
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &PAGE[..], &mut br, &Default::default()).unwrap();
        for (encoding, body) in [
            ("gzip", gzip(PAGE)),
            ("deflate", zlib.finish().unwrap()),
            ("deflate", raw.finish().unwrap()),
            ("br", br),
        ] {
            for size in [1, 7, 4096] {
                assert_eq!(
                    fed(encoding, &body, size).unwrap(),
                    PAGE,
                    "{encoding} by {size}"
                );
            }
        }
        assert!(Decoder::new("zstd").is_none() && !streams("zstd") && streams("gzip"));
    }

    #[test]
    fn a_streamed_bomb_is_refused_piece_by_piece() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![b'a'; 64 << 20]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(matches!(
            fed("gzip", &bomb, 64 << 10),
            Err(DecodeError::TooLarge(limit)) if limit == PIECE_LIMIT as u64
        ));
        // The same bomb in small pieces decodes within the limit, piece by piece.
        let mut decoder = Decoder::new("gzip").unwrap();
        let mut largest = 0;
        for piece in bomb.chunks(1024) {
            largest = largest.max(decoder.feed(piece).unwrap().len());
        }
        assert!(largest <= PIECE_LIMIT, "{largest}");
        assert!(fed("gzip", b"not gzip at all", 4).is_err());
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
