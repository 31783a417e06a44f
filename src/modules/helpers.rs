//! What oxc's transformer imports, answered by hotplate when the app does not have it.
//!
//! Compiling TypeScript's legacy decorators (`experimentalDecorators`, as Lit's and Angular's
//! code uses them) makes oxc import helpers from `@oxc-project/runtime/helpers/…`, a package
//! an app made by `npm create vite` does not install (Vite's own dependencies bring it). When
//! the package is there, it answers; when it is not, hotplate serves its own helpers
//! (`client/helpers/`), in dev at `/__hotplate/<boot>/helpers/<name>.js` and in the build as
//! modules of the bundle.

/// The package oxc imports its helpers from.
const PACKAGE: &str = "@oxc-project/runtime/helpers/";

/// hotplate's helpers, by name.
const HELPERS: &[(&str, &str)] = &[
    ("decorate", include_str!("../../client/helpers/decorate.js")),
    (
        "decorateParam",
        include_str!("../../client/helpers/decorateParam.js"),
    ),
    (
        "decorateMetadata",
        include_str!("../../client/helpers/decorateMetadata.js"),
    ),
];

/// The helper a specifier names, when it is one of oxc's that hotplate has:
/// `@oxc-project/runtime/helpers/decorate` (or `….js`) → `decorate`.
pub fn named(specifier: &str) -> Option<&'static str> {
    let name = specifier.strip_prefix(PACKAGE)?;
    let name = name.strip_suffix(".js").unwrap_or(name);
    HELPERS
        .iter()
        .find(|(helper, _)| *helper == name)
        .map(|(helper, _)| *helper)
}

/// The source of the helper `name` (`decorate`), or of its file name (`decorate.js`).
pub fn source(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".js").unwrap_or(name);
    HELPERS
        .iter()
        .find(|(helper, _)| *helper == name)
        .map(|(_, source)| *source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oxc_helpers_are_named_with_or_without_their_extension() {
        assert_eq!(
            named("@oxc-project/runtime/helpers/decorate"),
            Some("decorate")
        );
        assert_eq!(
            named("@oxc-project/runtime/helpers/decorateParam.js"),
            Some("decorateParam")
        );
        assert_eq!(named("@oxc-project/runtime/helpers/objectSpread2"), None);
        assert_eq!(named("lit/decorators.js"), None);
        assert!(
            source("decorate.js")
                .unwrap()
                .contains("export default function decorate")
        );
        assert!(source("nope").is_none());
    }
}
