//! A document's Content-Security-Policy, amended so that hotplate's runtime may run in it, and
//! nothing else more than before.
//!
//! The runtime is an inline script (`client/early.js`), a module script and the modules it
//! imports from `/__hotplate/`, a SharedWorker from there, an event stream and the page
//! fetching itself again to morph. So, for a policy:
//! - **scripts** (`script-src-elem` and `script-src`, or else `default-src`): when the policy
//!   carries a nonce, the runtime's tags carry it too. Otherwise, unless inline scripts are
//!   allowed anyway, a nonce of hotplate's own is added to the policy and to the tags (a hash
//!   would cover the inline script, not the module script). The runtime's folder
//!   (`http://host/__hotplate/`) is added as a source, for the modules it imports.
//! - **workers** (`worker-src`, else `child-src`, when the policy has one): the runtime's
//!   folder.
//! - **connections** (`connect-src`, or else `default-src`): the runtime's folder and the
//!   document's own URL.
//!
//! A directive that was `'none'` gets only what the runtime needs. Directives that do not
//! restrict scripts, workers or connections are left as they are. The overlay styles itself
//! with a constructed stylesheet, which no `style-src` restricts.

/// A policy amended for the runtime, and the nonce its tags must carry (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amended {
    pub policy: String,
    pub nonce: Option<String>,
}

/// Amends `policy` (a `Content-Security-Policy` value) for a document served at `page` (an
/// absolute URL without query), whose runtime lives at `runtime` (`http://host/__hotplate/`).
/// `fresh_nonce` is used when the policy has no nonce of its own and needs one.
pub fn amend(policy: &str, runtime: &str, page: &str, fresh_nonce: &str) -> Amended {
    let mut directives: Vec<(String, Vec<String>)> = policy
        .split(';')
        .filter_map(|directive| {
            let mut tokens = directive.split_ascii_whitespace();
            let name = tokens.next()?.to_ascii_lowercase();
            Some((name, tokens.map(str::to_string).collect()))
        })
        .collect();
    let has = |directives: &[(String, Vec<String>)], name: &str| {
        directives.iter().any(|(n, _)| n == name)
    };
    let script_directives: Vec<&str> =
        if has(&directives, "script-src-elem") || has(&directives, "script-src") {
            vec!["script-src-elem", "script-src"]
        } else {
            vec!["default-src"]
        };
    // The page's own nonce, from the first script directive that has one.
    let page_nonce = directives
        .iter()
        .filter(|(name, _)| script_directives.contains(&name.as_str()))
        .flat_map(|(_, sources)| sources.iter())
        .find_map(|source| {
            source
                .strip_prefix("'nonce-")
                .and_then(|s| s.strip_suffix('\''))
                .map(str::to_string)
        });
    let mut nonce = page_nonce.clone();
    for (name, sources) in directives.iter_mut() {
        if script_directives.contains(&name.as_str()) {
            if page_nonce.is_none() && !allows_inline(sources) {
                nonce = Some(fresh_nonce.to_string());
                add(sources, &format!("'nonce-{fresh_nonce}'"));
            }
            add(sources, runtime);
        }
    }
    let worker = ["worker-src", "child-src"]
        .into_iter()
        .find(|name| has(&directives, name));
    let connect = if has(&directives, "connect-src") {
        "connect-src"
    } else {
        "default-src"
    };
    for (name, sources) in directives.iter_mut() {
        if Some(name.as_str()) == worker {
            add(sources, runtime);
        }
        if name == connect {
            add(sources, runtime);
            add(sources, page);
        }
    }
    let policy = directives
        .iter()
        .map(|(name, sources)| {
            std::iter::once(name.as_str())
                .chain(sources.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("; ");
    Amended { policy, nonce }
}

/// Whether inline scripts run under these sources: `'unsafe-inline'`, and no nonce, hash or
/// `'strict-dynamic'` (any of which turns it off).
fn allows_inline(sources: &[String]) -> bool {
    let disabling = sources.iter().any(|s| {
        let s = s.to_ascii_lowercase();
        s.starts_with("'nonce-")
            || s.starts_with("'sha256-")
            || s.starts_with("'sha384-")
            || s.starts_with("'sha512-")
            || s == "'strict-dynamic'"
    });
    !disabling
        && sources
            .iter()
            .any(|s| s.eq_ignore_ascii_case("'unsafe-inline'"))
}

/// Adds `source`, replacing `'none'` (which may not stand with others).
fn add(sources: &mut Vec<String>, source: &str) {
    sources.retain(|s| !s.eq_ignore_ascii_case("'none'"));
    if !sources.iter().any(|s| s == source) {
        sources.push(source.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNTIME: &str = "http://localhost:4000/__hotplate/";
    const PAGE: &str = "http://localhost:4000/notes";

    fn amended(policy: &str) -> Amended {
        amend(policy, RUNTIME, PAGE, "hot123")
    }

    #[test]
    fn a_page_nonce_is_reused_and_nothing_of_hotplate_s_is_added_for_inline_scripts() {
        let a = amended("script-src 'nonce-abc' 'strict-dynamic'; object-src 'none'");
        assert_eq!(a.nonce.as_deref(), Some("abc"));
        assert_eq!(
            a.policy,
            format!("script-src 'nonce-abc' 'strict-dynamic' {RUNTIME}; object-src 'none'")
        );
    }

    #[test]
    fn a_policy_without_a_nonce_gets_hotplate_s_own() {
        let a = amended("default-src 'self'");
        assert_eq!(a.nonce.as_deref(), Some("hot123"));
        assert_eq!(
            a.policy,
            format!("default-src 'self' 'nonce-hot123' {RUNTIME} {PAGE}")
        );
        // Hashes already turn 'unsafe-inline' off: a nonce takes nothing more away.
        let hashed = amended("script-src 'sha256-xyz' 'unsafe-inline'");
        assert_eq!(hashed.nonce.as_deref(), Some("hot123"));
    }

    #[test]
    fn inline_scripts_allowed_anyway_need_no_nonce_which_would_forbid_them() {
        let a = amended("script-src 'self' 'unsafe-inline'; connect-src 'none'");
        assert_eq!(a.nonce, None);
        assert_eq!(
            a.policy,
            format!("script-src 'self' 'unsafe-inline' {RUNTIME}; connect-src {RUNTIME} {PAGE}")
        );
    }

    #[test]
    fn workers_and_connections_are_allowed_only_where_the_policy_restricts_them() {
        let a = amended("script-src 'nonce-n'; worker-src 'none'; img-src 'self'");
        assert_eq!(
            a.policy,
            format!("script-src 'nonce-n' {RUNTIME}; worker-src {RUNTIME}; img-src 'self'")
        );
        let child = amended("script-src 'nonce-n'; child-src 'self'; connect-src 'self'");
        assert_eq!(
            child.policy,
            format!(
                "script-src 'nonce-n' {RUNTIME}; child-src 'self' {RUNTIME}; connect-src 'self' {RUNTIME} {PAGE}"
            )
        );
    }

    #[test]
    fn both_script_directives_are_amended() {
        let a = amended("script-src-elem 'self'; script-src 'self'");
        assert_eq!(
            a.policy,
            format!(
                "script-src-elem 'self' 'nonce-hot123' {RUNTIME}; script-src 'self' 'nonce-hot123' {RUNTIME}"
            )
        );
    }
}
