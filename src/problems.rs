//! The errors the browsers are shown, one per source: a template that fails to render, a
//! script that does not parse. The overlay shows the newest; fixing one source shows the next
//! one still open, and the overlay clears only when the last is fixed.

use crate::base::{ErrorReport, Message};
use crate::hub::Hub;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Default)]
pub struct Problems {
    /// Open problems by source, oldest first.
    open: Mutex<Vec<(String, ErrorReport)>>,
}

impl Problems {
    /// `source` has this problem: the browsers show it (unless they already do).
    pub fn report(&self, hub: &Hub, source: &str, report: ErrorReport) {
        self.settle(hub, &[], vec![(source.to_string(), report)]);
    }

    /// `source` is fine now. Returns whether it had a problem.
    pub fn resolve(&self, hub: &Hub, source: &str) -> bool {
        self.settle(hub, &[source.to_string()], Vec::new())
    }

    /// Takes a round of outcomes at once: the `fixed` sources are fine, the `failed` ones have
    /// these problems. The browsers hear of it once: the newest open problem when it is not
    /// the one they show, or `error-clear` when the last one is gone. Returns whether any
    /// problem was fixed.
    pub fn settle(&self, hub: &Hub, fixed: &[String], failed: Vec<(String, ErrorReport)>) -> bool {
        let mut open = self.open();
        let shown = open.last().map(|(_, report)| report.clone());
        let before = open.len();
        open.retain(|(source, _)| !fixed.contains(source));
        let was_fixed = open.len() < before;
        for (source, report) in failed {
            open.retain(|(s, _)| *s != source);
            open.push((source, report));
        }
        match (shown, open.last()) {
            (Some(_), None) => {
                hub.publish(Message::ErrorClear {});
            }
            (shown, Some((_, newest))) if shown.as_ref() != Some(newest) => {
                hub.publish(Message::Error(newest.clone()));
            }
            _ => {}
        }
        was_fixed
    }

    pub fn is_empty(&self) -> bool {
        self.open().is_empty()
    }

    /// The open problems (a panic elsewhere while they were held leaves them as they were).
    fn open(&self) -> MutexGuard<'_, Vec<(String, ErrorReport)>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A handle on the overlay for a piece that reports problems and nothing else (the
/// supervisor, the dependency optimizer, the resolver's `tsconfig.json` notes): the open
/// problems and the hub that tells the browsers.
#[derive(Clone)]
pub struct Overlay {
    pub problems: Arc<Problems>,
    pub hub: Arc<Hub>,
}

impl Overlay {
    /// `source` has this problem (see [`Problems::report`]).
    pub fn report(&self, source: &str, report: ErrorReport) {
        self.problems.report(&self.hub, source, report);
    }

    /// `source` is fine now (see [`Problems::resolve`]).
    pub fn resolve(&self, source: &str) -> bool {
        self.problems.resolve(&self.hub, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn report(message: &str) -> ErrorReport {
        ErrorReport {
            message: message.into(),
            file: None,
            line: None,
            column: None,
            frame: String::new(),
        }
    }

    fn hub() -> Hub {
        Hub::new(
            "b".into(),
            "v".into(),
            Duration::from_secs(60),
            Duration::from_millis(1),
        )
    }

    #[test]
    fn the_overlay_clears_only_when_the_last_problem_is_fixed() {
        let (hub, problems) = (hub(), Problems::default());
        problems.report(&hub, "a.js", report("a is broken"));
        problems.report(&hub, "a.js", report("a is broken"));
        problems.report(&hub, "render", report("render failed"));
        assert!(problems.resolve(&hub, "render"));
        assert!(!problems.resolve(&hub, "render"));
        assert!(!problems.is_empty());
        assert!(problems.resolve(&hub, "a.js"));
        assert!(problems.is_empty());
        let sent: Vec<Message> = hub
            .recent()
            .into_iter()
            .map(|n| n.message.clone())
            .collect();
        assert_eq!(
            sent,
            vec![
                Message::Error(report("a is broken")),
                Message::Error(report("render failed")),
                Message::Error(report("a is broken")),
                Message::ErrorClear {},
            ]
        );
    }

    #[test]
    fn one_round_of_outcomes_is_heard_once() {
        let (hub, problems) = (hub(), Problems::default());
        let same = report("layout is broken");
        problems.settle(
            &hub,
            &[],
            vec![("/a".into(), same.clone()), ("/b".into(), same.clone())],
        );
        problems.settle(&hub, &["/a".into(), "/b".into()], Vec::new());
        let sent: Vec<Message> = hub
            .recent()
            .into_iter()
            .map(|n| n.message.clone())
            .collect();
        assert_eq!(sent, vec![Message::Error(same), Message::ErrorClear {}]);
    }
}
