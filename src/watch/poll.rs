//! The polling backend (`--poll`), for file systems that send no events (network drives,
//! some containers).
//!
//! notify's `PollWatcher` compares modification times in whole seconds, so a second save within
//! a second needs its `compare_contents`, which reads and hashes every file on every poll: 68%
//! of a core on 50,000 idle files. This poller costs what changed, as far as polling can:
//! 1. each poll lists the watched folders and `stat`s their entries, comparing size,
//!    modification time (nanoseconds) and inode with the last poll: no file is read;
//! 2. a difference is reported as a notify event, and the watch stage reads and hashes only
//!    those files ([`super::ContentHashes`]);
//! 3. the pause between polls is the configured interval, or three times what the last poll
//!    took if that is longer, so a huge tree is polled less often rather than taking a core
//!    (a quarter of one at most).

use notify::event::{CreateKind, DataChange, ModifyKind, RemoveKind};
use notify::{Event, EventHandler, EventKind, RecursiveMode, WatcherKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A folder's entries by name.
type Listing = HashMap<OsString, Seen>;

/// What one poll remembers of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    dir: bool,
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

#[derive(Default)]
struct State {
    /// Watched folder → its entries (by name) at the last poll.
    folders: BTreeMap<PathBuf, Listing>,
}

/// A `notify::Watcher` that polls with `stat`.
pub struct StatPoller {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl StatPoller {
    pub fn new(mut handler: impl EventHandler, interval: Duration) -> StatPoller {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (polled, stopped) = (state.clone(), stop.clone());
        std::thread::Builder::new()
            .name("hotplate-poll".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    for event in poll_once(&polled) {
                        handler.handle_event(Ok(event));
                    }
                    std::thread::sleep(interval.max(started.elapsed() * 3));
                }
            })
            .expect("spawn the poll thread");
        StatPoller { state, stop }
    }
}

impl Drop for StatPoller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl notify::Watcher for StatPoller {
    fn new<F: EventHandler>(handler: F, config: notify::Config) -> notify::Result<Self> {
        Ok(StatPoller::new(
            handler,
            config.poll_interval().unwrap_or(Duration::from_millis(200)),
        ))
    }

    /// Watches the entries of `path` (one folder deep, whatever `recursive`: the watch stage
    /// arms each folder itself).
    fn watch(&mut self, path: &Path, _recursive: RecursiveMode) -> notify::Result<()> {
        let entries = list(path);
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .folders
            .insert(path.to_path_buf(), entries);
        Ok(())
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .folders
            .remove(path);
        Ok(())
    }

    fn kind() -> WatcherKind {
        WatcherKind::PollWatcher
    }
}

/// The entries of `folder` as they are now.
fn list(folder: &Path) -> Listing {
    use std::os::unix::fs::MetadataExt;
    let Ok(read) = std::fs::read_dir(folder) else {
        return Listing::new();
    };
    read.flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            let dir = meta.is_dir();
            let seen = Seen {
                dir,
                len: if dir { 0 } else { meta.len() },
                modified: if dir { None } else { meta.modified().ok() },
                inode: meta.ino(),
            };
            Some((entry.file_name(), seen))
        })
        .collect()
}

/// One poll: every watched folder listed again and compared with the last poll.
fn poll_once(state: &Mutex<State>) -> Vec<Event> {
    let folders: Vec<PathBuf> = state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .folders
        .keys()
        .cloned()
        .collect();
    let mut events = Vec::new();
    for folder in folders {
        let now = list(&folder);
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(before) = state.folders.get_mut(&folder) else {
            continue; // unwatched meanwhile
        };
        if *before != now {
            events.extend(differences(&folder, before, &now));
            *before = now;
        }
    }
    events
}

/// What changed in `folder` between two listings, as notify events.
fn differences(folder: &Path, before: &Listing, now: &Listing) -> Vec<Event> {
    let names: BTreeSet<&OsString> = before.keys().chain(now.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let kind = match (before.get(name), now.get(name)) {
                (None, Some(seen)) if seen.dir => EventKind::Create(CreateKind::Folder),
                (None, Some(_)) => EventKind::Create(CreateKind::File),
                (Some(_), None) => EventKind::Remove(RemoveKind::Any),
                (Some(old), Some(new)) if old != new => {
                    EventKind::Modify(ModifyKind::Data(DataChange::Any))
                }
                _ => return None,
            };
            Some(Event::new(kind).add_path(folder.join(name)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(events: Vec<Event>) -> Vec<(String, EventKind)> {
        events
            .into_iter()
            .map(|e| {
                (
                    e.paths[0].file_name().unwrap().to_string_lossy().into(),
                    e.kind,
                )
            })
            .collect()
    }

    #[test]
    fn a_poll_reports_what_was_made_changed_and_removed_and_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("same.css"), "a{}").unwrap();
        std::fs::write(dir.path().join("saved.css"), "a{}").unwrap();
        std::fs::write(dir.path().join("gone.css"), "a{}").unwrap();
        let before = list(dir.path());
        std::thread::sleep(Duration::from_millis(5));
        // The same length, a moment later: a second save within one second counts.
        std::fs::write(dir.path().join("saved.css"), "b{}").unwrap();
        std::fs::remove_file(dir.path().join("gone.css")).unwrap();
        std::fs::write(dir.path().join("new.css"), "").unwrap();
        std::fs::create_dir(dir.path().join("folder")).unwrap();
        let now = list(dir.path());
        assert_eq!(
            kinds(differences(dir.path(), &before, &now)),
            vec![
                ("folder".into(), EventKind::Create(CreateKind::Folder)),
                ("gone.css".into(), EventKind::Remove(RemoveKind::Any)),
                ("new.css".into(), EventKind::Create(CreateKind::File)),
                (
                    "saved.css".into(),
                    EventKind::Modify(ModifyKind::Data(DataChange::Any))
                ),
            ]
        );
        assert!(differences(dir.path(), &now, &list(dir.path())).is_empty());
    }
}
