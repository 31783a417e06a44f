//! The errors the browsers are shown, one per source: a template that fails to render, a
//! script that does not parse. The overlay shows the newest; fixing one source shows the next
//! one still open, and the overlay clears only when the last is fixed.

use crate::base::{ErrorReport, Message};
use crate::hub::Hub;
use std::sync::Mutex;

#[derive(Default)]
pub struct Problems {
    /// Open problems by source, oldest first.
    open: Mutex<Vec<(String, ErrorReport)>>,
}

impl Problems {
    /// `source` has this problem: the browsers show it (unless they already do).
    pub fn report(&self, hub: &Hub, source: &str, report: ErrorReport) {
        let mut open = self.open.lock().expect("problems");
        if open.iter().any(|(s, r)| s == source && *r == report) {
            return;
        }
        open.retain(|(s, _)| s != source);
        open.push((source.to_string(), report.clone()));
        hub.publish(Message::Error(report));
    }

    /// `source` is fine now. Returns whether it had a problem.
    pub fn resolve(&self, hub: &Hub, source: &str) -> bool {
        let mut open = self.open.lock().expect("problems");
        let before = open.len();
        open.retain(|(s, _)| s != source);
        if open.len() == before {
            return false;
        }
        match open.last() {
            Some((_, report)) => hub.publish(Message::Error(report.clone())),
            None => hub.publish(Message::ErrorClear {}),
        };
        true
    }

    pub fn is_empty(&self) -> bool {
        self.open.lock().expect("problems").is_empty()
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
}
