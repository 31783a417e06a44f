//! What reaches the pipeline from the HTTP side, in the order it was sent: facts learnt while
//! answering ([`Record`]s for the graph) and modules that asked to be replaced by their
//! importers (`import.meta.hot.invalidate()`).
//!
//! The HTTP side only ever pushes here and reads the graph; the pipeline takes everything out
//! and is the graph's only writer ([`crate::pipeline::drain`]). So data flows one way: serve
//! never calls up into the pipeline, and the graph has one writer.

use crate::graph::Record;
use std::sync::Mutex;
use tokio::sync::Notify;

/// One message for the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Record(Record),
    /// A module at URL path `url` invalidated itself; `first` is the module whose update
    /// started the chain (Vite's `firstInvalidatedBy`).
    Invalidate {
        url: String,
        message: Option<String>,
        first: Option<String>,
    },
    /// The backend (`--proxy`) answers again, after it was down or (re)started: every page
    /// shown fetches itself again.
    BackendUp,
}

/// The queue from the HTTP side to the pipeline.
#[derive(Default)]
pub struct Inbox {
    queue: Mutex<Vec<Input>>,
    /// Held while what was taken is applied, so that whoever drains next sees it applied.
    draining: Mutex<()>,
    arrived: Notify,
}

impl Inbox {
    /// What waits for the pipeline; recovered if a panic elsewhere held it (a push or a
    /// take leaves it whole).
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Input>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn push(&self, input: Input) {
        self.queue().push(input);
        self.arrived.notify_one();
    }

    pub fn record(&self, record: Record) {
        self.push(Input::Record(record));
    }

    /// Takes everything sent so far and hands it to `apply`, in order. Two drains never
    /// overlap: one that starts while another applies waits for it, so what was pushed before
    /// a drain began is in the graph when it returns.
    pub fn drain(&self, apply: impl FnOnce(Vec<Input>)) {
        let _applying = self.draining.lock().unwrap_or_else(|e| e.into_inner());
        let inputs = std::mem::take(&mut *self.queue());
        if !inputs.is_empty() {
            apply(inputs);
        }
    }

    /// Resolves when something was pushed since the last call (or was already waiting).
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalidate(url: &str) -> Input {
        Input::Invalidate {
            url: url.into(),
            message: None,
            first: None,
        }
    }

    #[test]
    fn a_drain_takes_everything_in_the_order_it_was_sent() {
        let inbox = Inbox::default();
        inbox.push(invalidate("/a.js"));
        inbox.push(invalidate("/b.js"));
        let mut seen = Vec::new();
        inbox.drain(|inputs| seen = inputs);
        assert_eq!(seen, vec![invalidate("/a.js"), invalidate("/b.js")]);
        inbox.drain(|_| panic!("nothing is left"));
    }

    #[tokio::test]
    async fn a_push_wakes_the_waiting_pipeline() {
        let inbox = std::sync::Arc::new(Inbox::default());
        let waiting = {
            let inbox = inbox.clone();
            tokio::spawn(async move { inbox.arrived().await })
        };
        inbox.push(invalidate("/a.js"));
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
    }
}
