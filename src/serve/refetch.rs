//! After a save of a file a backend (`--proxy`) or an app ([`crate::layer()`]) reads: each page
//! shown is fetched once, as the tab that last loaded it asked for it, diffed against what
//! that tab was served, and the patch pushed in an `html` message naming its path
//! ([`crate::served`]). Tabs showing that very page apply it without a request; any other tab (another user's page, a page answered to a
//! POST) fetches, as before.
//!
//! A page whose answer is not a document (an error page, a redirect), or that does not change
//! within the pauses a backend that caches its templates needs, is named without a patch: its
//! tabs fetch it themselves and show what the backend says.

use super::outgoing;
use crate::base::{Message, PagePatch, Timing};
use crate::live::Live;
use crate::payload;
use crate::protocol;
use crate::rewrite::html;
use crate::served::{Page, path_of};
use axum::body::Body;
use axum::http::{Request, header};
use std::time::Duration;

/// How long to wait, in turn, for a backend that answers with the page as it was (Django reads
/// its templates again once a second): as the runtime waits for its own refresh.
const UNCHANGED_PAUSES_MS: [u64; 5] = [50, 100, 200, 400, 800];

/// The most pages fetched after one save: past it, their tabs fetch them.
pub const MOST_PAGES: usize = 16;

/// Fetches each of `pages` again through `replay`, diffs it, and publishes its patch (or its
/// path alone) as soon as it is known.
pub async fn patches(
    live: Live,
    pages: Vec<(String, Page)>,
    timestamp: u64,
    timing: Option<Timing>,
) {
    let fetches = pages.into_iter().map(|(url, page)| {
        let live = live.clone();
        async move {
            let patch = refetch(&live, &url, &page).await;
            if patch.is_none() {
                tracing::debug!("{url}: no patch, its tabs fetch it");
            }
            live.hub.publish(Message::Html {
                routes: vec![path_of(&url).to_string()],
                timestamp,
                patches: patch.into_iter().collect(),
                timing,
            });
        }
    });
    futures_util::future::join_all(fetches).await;
}

/// The patch from `page` (what the tab at `url` was served) to the backend's answer now, which
/// becomes the page kept for `url`.
async fn refetch(live: &Live, url: &str, page: &Page) -> Option<PagePatch> {
    for pause in std::iter::once(0).chain(UNCHANGED_PAUSES_MS) {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let request = Request::get(url)
            .header(header::ACCEPT, "text/html")
            .header(protocol::REFRESH_HEADER, "1")
            .body(Body::empty())
            .ok()?;
        let response = page.asker.ask(request).await;
        if !response.status().is_success()
            || outgoing::content_type(response.headers()).as_deref() != Some("text/html")
        {
            return None;
        }
        let (_, body) = outgoing::read(response, url).await.ok()?;
        // Hashing and diffing a page are blocking work: on the pool, not the async worker.
        let (old, unchanged) = (page.body.clone(), page.stamp.clone());
        let (body, stamp, ops) = crate::pool::run(move || {
            let stamp = html::fingerprint(&body);
            let ops = (stamp != unchanged)
                .then(|| payload::patch::diff(&old, &body))
                .map(|ops| ops.ok_or(()));
            (body, stamp, ops)
        })
        .await;
        let ops = match ops {
            None => continue,
            Some(ops) => ops.ok()?,
        };
        live.served.keep(
            url,
            Page {
                body: body.into(),
                stamp: stamp.clone(),
                asker: page.asker.clone(),
            },
        );
        return Some(PagePatch {
            route: url.to_string(),
            from: page.stamp.clone(),
            to: stamp,
            ops,
        });
    }
    None
}
