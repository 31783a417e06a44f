//! The hub stage: fans [`Message`]s out to every browser over server-sent events.
//!
//! 1. [`Hub::publish`] numbers each message `<boot>-<seq>`, writes it as JSON once for every
//!    client, keeps it in a ring of recent messages (bounded in number and in bytes: messages
//!    carry stylesheets, modules and patches) and broadcasts it.
//! 2. A connection ([`Hub::connect`]) starts with `retry:` and a `hello`. A fresh connection's
//!    `hello` carries the newest id, so a later reconnect resumes from there.
//! 3. A reconnect sends `Last-Event-ID`: from this boot and still in the ring, it gets exactly
//!    the messages it missed ([`resume`]); from another boot, or too far behind, a `reload`.
//! 4. Live messages follow. A client too slow to keep up gets a `reload` instead of the
//!    messages it lost (the broadcast holds no message the ring let go of); it never holds up
//!    the others. Keep-alive comments keep proxies from
//!    closing idle connections.

use crate::base::Message;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt, stream};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// How many recent messages a reconnecting client can catch up on.
pub const RING_CAPACITY: usize = 256;

/// The most JSON the recent messages may hold together; past it the oldest go (the newest is
/// always kept).
pub const RING_BYTES: usize = 16 << 20;

/// A message with its sequence number, and its JSON, written once for every client.
#[derive(Clone, Debug, PartialEq)]
pub struct Numbered {
    pub seq: u64,
    pub message: Message,
    pub data: String,
}

impl Numbered {
    pub fn new(seq: u64, message: Message) -> Numbered {
        let data = message.data();
        Numbered { seq, message, data }
    }
}

pub struct Hub {
    boot: String,
    version: String,
    keep_alive: Duration,
    retry: Duration,
    ring: Mutex<Ring>,
    /// The ring holds each message; the broadcast only points at it, so a message the ring let
    /// go of is gone for a client that had not taken it yet (it reloads).
    live: broadcast::Sender<Weak<Numbered>>,
}

#[derive(Default)]
struct Ring {
    last_seq: u64,
    recent: VecDeque<Arc<Numbered>>,
    /// The JSON of the recent messages, together.
    bytes: usize,
}

/// Where a connecting client starts.
#[derive(Debug, PartialEq)]
pub enum Resume {
    /// No `Last-Event-ID`: only what is published from now on.
    Fresh,
    /// Same boot, still in the ring: these messages first.
    Replay(Vec<Arc<Numbered>>),
    /// Another boot, an unreadable id, or too far behind.
    Reload(&'static str),
}

/// Decides where a client with `last_event_id` resumes, given the ring's contents.
pub fn resume(
    boot: &str,
    last_seq: u64,
    recent: &VecDeque<Arc<Numbered>>,
    last_event_id: Option<&str>,
) -> Resume {
    let Some(id) = last_event_id else {
        return Resume::Fresh;
    };
    let Some((their_boot, seq)) = id.rsplit_once('-') else {
        return Resume::Reload("unreadable Last-Event-ID");
    };
    if their_boot != boot {
        return Resume::Reload("the server restarted");
    }
    let Ok(seq) = seq.parse::<u64>() else {
        return Resume::Reload("unreadable Last-Event-ID");
    };
    let oldest_kept = recent.front().map_or(last_seq + 1, |n| n.seq);
    if seq > last_seq || seq + 1 < oldest_kept {
        return Resume::Reload("missed too many updates");
    }
    Resume::Replay(recent.iter().filter(|n| n.seq > seq).cloned().collect())
}

impl Hub {
    /// The ring of recent messages. A panic elsewhere while it was held leaves it whole
    /// (every write to it is one push and one counter), so it is recovered, not fatal.
    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn new(boot: String, version: String, keep_alive: Duration, retry: Duration) -> Hub {
        let (live, _) = broadcast::channel(RING_CAPACITY);
        Hub {
            boot,
            version,
            keep_alive,
            retry,
            ring: Mutex::new(Ring::default()),
            live,
        }
    }

    pub fn boot(&self) -> &str {
        &self.boot
    }

    /// Numbers, keeps and broadcasts `message`; returns its sequence number.
    pub fn publish(&self, message: Message) -> u64 {
        // Written before the lock: a big message's JSON keeps no connecting client waiting.
        let data = message.data();
        let mut ring = self.ring();
        ring.last_seq += 1;
        let numbered = Arc::new(Numbered {
            seq: ring.last_seq,
            message,
            data,
        });
        ring.bytes += numbered.data.len();
        ring.recent.push_back(numbered.clone());
        while ring.recent.len() > RING_CAPACITY
            || (ring.bytes > RING_BYTES && ring.recent.len() > 1)
        {
            if let Some(oldest) = ring.recent.pop_front() {
                ring.bytes -= oldest.data.len();
            }
        }
        // Sent under the lock, so a connecting client sees each message exactly once: either
        // in its replay or live.
        let _ = self.live.send(Arc::downgrade(&numbered));
        ring.last_seq
    }

    /// The sequence number of the newest message (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.ring().last_seq
    }

    /// The messages kept for replay, oldest first.
    pub fn recent(&self) -> Vec<Arc<Numbered>> {
        let ring = self.ring();
        ring.recent.iter().cloned().collect()
    }

    /// The raw change feed (`/__hotplate/changes`): one unnamed message per changed path,
    /// relative to the root, as a JSON string, so that `onmessage` receives them. It has no
    /// ids and no replay: it is a feed of what happens from now on.
    pub fn changes(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
        let live = BroadcastStream::new(self.live.subscribe()).flat_map(|item| {
            let paths = match item.ok().and_then(|n| n.upgrade()).as_deref() {
                Some(Numbered {
                    message: Message::Change { paths },
                    ..
                }) => paths.clone(),
                _ => Vec::new(),
            };
            stream::iter(paths.into_iter().map(|path| {
                let data = serde_json::to_string(&path).expect("a string serializes");
                Ok(Event::default().data(data))
            }))
        });
        Sse::new(live).keep_alive(
            KeepAlive::new()
                .interval(self.keep_alive)
                .text("keep-alive"),
        )
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        self.live.receiver_count()
    }

    /// The messages a client should get, in order, as a stream (without keep-alives).
    pub fn events(
        &self,
        last_event_id: Option<&str>,
    ) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
        let (start, live, latest) = {
            let ring = self.ring();
            let start = resume(&self.boot, ring.last_seq, &ring.recent, last_event_id);
            (start, self.live.subscribe(), ring.last_seq)
        };
        let boot = self.boot.clone();
        let mut hello = self
            .event(
                &Message::Hello {
                    boot: boot.clone(),
                    version: self.version.clone(),
                },
                None,
            )
            .retry(self.retry);
        // A resuming client keeps its own last id; everyone else starts from the newest.
        if !matches!(start, Resume::Replay(_)) {
            hello = hello.id(format!("{boot}-{latest}"));
        }
        let mut first = Vec::new();
        first.push(Ok(hello));
        match start {
            Resume::Replay(missed) => {
                first.extend(missed.iter().map(|n| Ok(numbered_frame(&boot, n))));
            }
            Resume::Reload(reason) => {
                first.push(Ok(self.event(&Message::reload_all(reason), None)));
            }
            Resume::Fresh => {}
        }
        let live_boot = boot.clone();
        let live = BroadcastStream::new(live).map(move |item| {
            let item = item.map(|n| n.upgrade());
            Ok(match item {
                Ok(Some(n)) => numbered_frame(&live_boot, &n),
                Ok(None) | Err(BroadcastStreamRecvError::Lagged(_)) => frame(
                    &live_boot,
                    &Message::reload_all("fell behind on updates"),
                    None,
                ),
            })
        });
        stream::iter(first).chain(live)
    }

    /// The SSE response for a client, with keep-alives.
    pub fn connect(
        &self,
        last_event_id: Option<&str>,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
        Sse::new(self.events(last_event_id)).keep_alive(
            KeepAlive::new()
                .interval(self.keep_alive)
                .text("keep-alive"),
        )
    }

    fn event(&self, message: &Message, seq: Option<u64>) -> Event {
        frame(&self.boot, message, seq)
    }
}

/// A published message's frame, from the JSON written when it was published.
fn numbered_frame(boot: &str, numbered: &Numbered) -> Event {
    Event::default()
        .event(numbered.message.event())
        .data(&numbered.data)
        .id(format!("{boot}-{}", numbered.seq))
}

fn frame(boot: &str, message: &Message, seq: Option<u64>) -> Event {
    let event = Event::default().event(message.event()).data(message.data());
    match seq {
        Some(seq) => event.id(format!("{boot}-{seq}")),
        None => event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(seqs: std::ops::RangeInclusive<u64>) -> VecDeque<Arc<Numbered>> {
        seqs.map(|seq| Arc::new(Numbered::new(seq, Message::Change { paths: vec![] })))
            .collect()
    }

    fn replayed(resume: Resume) -> Vec<u64> {
        match resume {
            Resume::Replay(missed) => missed.iter().map(|n| n.seq).collect(),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn a_fresh_client_starts_from_now() {
        assert_eq!(resume("b", 3, &ring(1..=3), None), Resume::Fresh);
    }

    #[test]
    fn a_client_from_this_boot_gets_exactly_what_it_missed() {
        assert_eq!(
            replayed(resume("b", 5, &ring(1..=5), Some("b-2"))),
            vec![3, 4, 5]
        );
        assert_eq!(
            replayed(resume("b", 5, &ring(1..=5), Some("b-5"))),
            Vec::<u64>::new()
        );
        // The oldest kept message is exactly the next one it needs.
        assert_eq!(
            replayed(resume("b", 9, &ring(4..=9), Some("b-3"))),
            vec![4, 5, 6, 7, 8, 9]
        );
    }

    #[test]
    fn a_client_from_another_boot_reloads() {
        assert!(matches!(
            resume("b", 5, &ring(1..=5), Some("a-2")),
            Resume::Reload(_)
        ));
    }

    #[test]
    fn a_client_too_far_behind_or_ahead_reloads() {
        assert!(matches!(
            resume("b", 9, &ring(5..=9), Some("b-3")),
            Resume::Reload(_)
        ));
        assert!(matches!(
            resume("b", 9, &ring(5..=9), Some("b-10")),
            Resume::Reload(_)
        ));
        assert!(matches!(
            resume("b", 9, &ring(5..=9), Some("garbage")),
            Resume::Reload(_)
        ));
        assert!(matches!(
            resume("b", 9, &ring(5..=9), Some("b-x")),
            Resume::Reload(_)
        ));
    }

    #[test]
    fn boot_ids_may_contain_dashes() {
        assert_eq!(
            replayed(resume("my-boot", 2, &ring(1..=2), Some("my-boot-1"))),
            vec![2]
        );
    }

    #[test]
    fn publishing_numbers_messages_and_keeps_only_the_newest() {
        let hub = Hub::new(
            "b".into(),
            "v".into(),
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        for _ in 0..RING_CAPACITY + 10 {
            hub.publish(Message::ErrorClear {});
        }
        let ring = hub.ring.lock().unwrap();
        assert_eq!(ring.last_seq, (RING_CAPACITY + 10) as u64);
        assert_eq!(ring.recent.len(), RING_CAPACITY);
        assert_eq!(ring.recent.front().unwrap().seq, 11);
    }
}
