//! Cache headers. In dev every response is `no-cache` (always revalidated, using the ETag and
//! Last-Modified validators). In production a URL that carries a `v=` query parameter names one
//! immutable version of the file and may be cached for a year.

use crate::settings::Settings;
use axum::http::HeaderValue;

pub const REVALIDATE: &str = "no-cache";
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The `Cache-Control` value for a response to a URL with `query`.
pub fn control(settings: &Settings, query: Option<&str>) -> HeaderValue {
    let versioned = query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair.split('=').next() == Some("v"));
    if !settings.is_dev() && versioned {
        HeaderValue::from_static(IMMUTABLE)
    } else {
        HeaderValue::from_static(REVALIDATE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Mode;

    #[test]
    fn only_versioned_urls_in_production_are_immutable() {
        let mut s = Settings::for_root(std::env::temp_dir()).unwrap();
        assert_eq!(control(&s, Some("v=abc")), REVALIDATE);
        s.mode = Mode::Prod;
        assert_eq!(control(&s, Some("v=abc")), IMMUTABLE);
        assert_eq!(control(&s, Some("x=1&v=abc")), IMMUTABLE);
        assert_eq!(control(&s, Some("version=abc")), REVALIDATE);
        assert_eq!(control(&s, None), REVALIDATE);
    }
}
