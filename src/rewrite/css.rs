//! Stylesheets on their way out (dev mode only).
//!
//! 1. [`analyze_deep`] reads a stylesheet with cssparser's tokenizer and lists what it references:
//!    `@import` targets (other stylesheets) and `url()` values (images, fonts). Comments and
//!    strings that merely look like either are not references.
//! 2. [`rewrite`] replaces the references the caller asks to (the graph adds `?t=` to those of
//!    changed files), so that a swapped stylesheet pulls in fresh copies of what changed.
//! 3. [`rules`] cuts a stylesheet into its top-level rules, as the CSSOM's `insertRule` takes
//!    them: what a stylesheet's text in an `update` message is sent as.

use cssparser::{Parser, Token};

/// One reference in a stylesheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub url: String,
    pub kind: Kind,
    /// Byte range of the text to replace: the string (quotes included) or the whole
    /// `url(…)` token when the URL is unquoted.
    pub start: usize,
    pub end: usize,
    unquoted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `@import "x.css"` or `@import url(x.css)`.
    Import,
    /// Any other `url(…)`.
    Asset,
}

/// How deep [`analyze_deep`] follows nested blocks: cssparser's own limit. Each level is a frame
/// of the recursive scan; a deeper block is skipped without recursing (cssparser's
/// `TooManyNestedBlocks`), so no stylesheet can overflow the stack.
pub const MAX_NESTING: usize = 75;

/// Every `@import` and `url()` in `source`, in source order (down to [`MAX_NESTING`] nested
/// blocks).
#[cfg(any(test, feature = "testing"))]
pub fn analyze(source: &str) -> Vec<Reference> {
    analyze_deep(source).0
}

/// Every `@import` and `url()` in `source`, in source order, and whether the stylesheet nests
/// deeper than [`MAX_NESTING`] (what is below that depth was passed over).
pub fn analyze_deep(source: &str) -> (Vec<Reference>, bool) {
    let mut parser = Parser::new(source);
    let mut found = Vec::new();
    let mut too_deep = false;
    scan(&mut parser, &mut found, &mut too_deep);
    (found, too_deep)
}

/// `source` with each reference for which `replace` returns a new URL replaced.
pub fn rewrite(
    source: &str,
    references: &[Reference],
    replace: impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(source.len() + 32);
    let mut cursor = 0;
    for reference in references {
        let Some(new) = replace(&reference.url) else {
            continue;
        };
        out.push_str(&source[cursor..reference.start]);
        let quoted = format!("\"{}\"", new.replace('\\', "\\\\").replace('"', "\\\""));
        if reference.unquoted {
            out.push_str(&format!("url({quoted})"));
        } else {
            out.push_str(&quoted);
        }
        cursor = reference.end;
    }
    out.push_str(&source[cursor..]);
    out
}

/// The top-level rules of `source`, in order, each as written: a statement (`@import …;`,
/// `@layer a, b;`) or a prelude with its `{}` block. `@charset` goes (the CSSOM takes no such
/// rule), and so do comments, whitespace and `<!--`/`-->` between rules. A block left open at
/// the end is closed by the parser as the browser's would be: the rule runs to the end.
pub fn rules(source: &str) -> Vec<&str> {
    let mut parser = Parser::new(source);
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let position = parser.position().byte_index();
        let Ok(token) = parser.next_including_whitespace_and_comments() else {
            break;
        };
        let ends = match token {
            Token::WhiteSpace(_) | Token::Comment(_) | Token::CDO | Token::CDC
                if start.is_none() =>
            {
                continue;
            }
            Token::Semicolon | Token::CurlyBracketBlock => true,
            _ => false,
        };
        let first = *start.get_or_insert(position);
        if ends {
            // The block is skipped by the next call: take its end from there.
            if matches!(token, Token::CurlyBracketBlock) {
                let _ = parser.parse_nested_block(|inner| {
                    while inner.next_including_whitespace_and_comments().is_ok() {}
                    Ok::<(), cssparser::ParseError<()>>(())
                });
            }
            let rule = source[first..parser.position().byte_index()].trim_end();
            start = None;
            if !rule
                .get(..8)
                .is_some_and(|at| at.eq_ignore_ascii_case("@charset"))
            {
                found.push(rule);
            }
        }
    }
    if let Some(first) = start {
        let rule = source[first..].trim_end();
        if !rule.is_empty() {
            found.push(rule);
        }
    }
    found
}

fn scan(parser: &mut Parser, found: &mut Vec<Reference>, too_deep: &mut bool) {
    let mut in_import = false;
    loop {
        let start = parser.position().byte_index();
        let token = match parser.next_including_whitespace_and_comments() {
            Ok(token) => token.clone(),
            Err(_) => return,
        };
        let end = parser.position().byte_index();
        let kind = if in_import { Kind::Import } else { Kind::Asset };
        match token {
            Token::AtKeyword(name) => {
                in_import = name.eq_ignore_ascii_case("import");
                continue;
            }
            Token::WhiteSpace(_) | Token::Comment(_) => continue,
            Token::QuotedString(url) if in_import => found.push(Reference {
                url: url.to_string(),
                kind,
                start,
                end,
                unquoted: false,
            }),
            Token::UnquotedUrl(url) => found.push(Reference {
                url: url.to_string(),
                kind,
                start,
                end,
                unquoted: true,
            }),
            Token::Function(name) if name.eq_ignore_ascii_case("url") => {
                let _ = parser.parse_nested_block(|inner| {
                    loop {
                        let start = inner.position().byte_index();
                        let Ok(token) = inner.next_including_whitespace_and_comments() else {
                            break;
                        };
                        if let Token::QuotedString(url) = token.clone() {
                            found.push(Reference {
                                url: url.to_string(),
                                kind,
                                start,
                                end: inner.position().byte_index(),
                                unquoted: false,
                            });
                        }
                    }
                    Ok::<(), cssparser::ParseError<()>>(())
                });
            }
            Token::Function(_)
            | Token::ParenthesisBlock
            | Token::SquareBracketBlock
            | Token::CurlyBracketBlock => {
                let nested = parser.parse_nested_block(|inner| {
                    scan(inner, found, too_deep);
                    Ok::<(), cssparser::ParseError<()>>(())
                });
                if let Err(error) = nested
                    && error.kind
                        == cssparser::ParseErrorKind::Basic(
                            cssparser::BasicParseErrorKind::TooManyNestedBlocks,
                        )
                {
                    *too_deep = true;
                }
            }
            _ => {}
        }
        in_import = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(source: &str) -> Vec<(String, Kind)> {
        analyze(source)
            .into_iter()
            .map(|r| (r.url, r.kind))
            .collect()
    }

    #[test]
    fn imports_and_urls_are_found_in_every_form() {
        let found = urls(
            r#"@import "base.css";
@import url(theme.css) screen;
@IMPORT url("print.css") print;
/* @import "commented.css"; url(commented.png) */
body { background: url(bg.png) no-repeat, url( 'dots.svg' ); content: "url(in-a-string.png)"; }
@font-face { src: url("font.woff2") format("woff2"); }
@media (min-width: 1px) { a { cursor: url(hand.cur), auto; } }
"#,
        );
        let expected = [
            ("base.css", Kind::Import),
            ("theme.css", Kind::Import),
            ("print.css", Kind::Import),
            ("bg.png", Kind::Asset),
            ("dots.svg", Kind::Asset),
            ("font.woff2", Kind::Asset),
            ("hand.cur", Kind::Asset),
        ];
        let expected: Vec<(String, Kind)> =
            expected.iter().map(|(u, k)| (u.to_string(), *k)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn only_the_references_asked_for_are_replaced() {
        let source = "@import 'a.css';\n@import url(b.css);\nx { background: url(c.png) }\ny { background: url('a.css') }\n";
        let out = rewrite(source, &analyze(source), |url| {
            (url != "b.css").then(|| format!("{url}?t=9"))
        });
        assert_eq!(
            out,
            "@import \"a.css?t=9\";\n@import url(b.css);\nx { background: url(\"c.png?t=9\") }\ny { background: url(\"a.css?t=9\") }\n"
        );
    }

    #[test]
    fn a_stylesheet_is_cut_into_its_top_level_rules() {
        let source = "@charset \"utf-8\";\n/* a { } */\n@import url(a.css) screen;\n<!-- -->\n\
                      @layer base, theme;\nbody { color: red; content: \"}\" }\n\
                      @media (min-width: 1px) { a { b: c } p { q: r } }\n  x{y:z";
        assert_eq!(
            rules(source),
            vec![
                "@import url(a.css) screen;",
                "@layer base, theme;",
                "body { color: red; content: \"}\" }",
                "@media (min-width: 1px) { a { b: c } p { q: r } }",
                "x{y:z",
            ]
        );
        assert!(rules("  /* nothing */ ").is_empty());
    }

    proptest::proptest! {
        /// Replacing every reference with itself, quoted, finds the same references again.
        #[test]
        fn rewritten_references_read_back_the_same(name in "[a-z\"' ()\\\\]{1,10}") {
            let source = "@import 'a.css';\nx { background: url(b.png) }\ny { src: url(\"c.woff\") }";
            let out = rewrite(source, &analyze(source), |url| Some(format!("{url}?{name}")));
            let urls: Vec<String> = analyze(&out).into_iter().map(|r| r.url).collect();
            proptest::prop_assert_eq!(urls, vec![
                format!("a.css?{name}"),
                format!("b.png?{name}"),
                format!("c.woff?{name}"),
            ]);
        }
    }

    #[test]
    fn broken_css_is_read_as_far_as_it_goes() {
        assert_eq!(
            urls("a { background: url(x.png"),
            vec![("x.png".to_string(), Kind::Asset)]
        );
        assert!(urls("@import").is_empty());
    }

    #[test]
    fn nesting_past_cssparsers_limit_is_reported_not_followed() {
        let deep = format!(
            "@import \"a.css\"; a {{ b: x{}y{} }}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let (found, too_deep) = analyze_deep(&deep);
        assert!(too_deep);
        assert_eq!(found[0].url, "a.css");
        let (_, shallow) = analyze_deep("a { b: calc((1 + 2) * 3); background: url(x.png) }");
        assert!(!shallow);
    }
}
