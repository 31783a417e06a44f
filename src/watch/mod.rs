//! The watch stage: file-system events in, [`ChangeBatch`]es out.
//!
//! 1. A notify backend (native, or with `--poll` our own [`poll::StatPoller`]) reports raw
//!    events; [`raw_events`] keeps the ones that mean "content may have changed". On Linux a
//!    write is taken at `close(2)`, so a save that creates or truncates then writes is one
//!    change, never a half-written file. The poller compares size, nanosecond mtime and inode
//!    with one `stat` per file, and reads nothing.
//! 2. [`filter::IgnoreRules`] drops what no page can depend on: dotfiles and dot-folders, editor temp
//!    files ([`filter::is_editor_temp`]) and whatever `.gitignore`/`.ignore` list.
//! 3. [`coalesce`] merges a burst on the leading edge: the first event after a quiet spell is
//!    acted on at once, and whatever arrives while that batch is worked on forms the next one.
//!    There is no fixed wait.
//! 4. [`ContentHashes`] drops saves that did not change a byte. An atomic save (temp file, then
//!    rename onto the target) leaves one change: the target's. A file found empty is read again
//!    for a moment first ([`read_settled`]): an editor that saves by truncating, then writing,
//!    may be caught in between (the poller, or a backend without close events, can see it).
//!
//! The backend is armed folder by folder on the watcher's own thread, skipping hidden and
//! ignored folders, so a server answers requests before a large tree is watched; a folder
//! that appears later is armed when its event arrives.
//!
//! A file is hashed the first time an event names it, so the first event for a file after
//! start always counts as a change. When the backend overflows, the batch says `rescan`: every
//! folder is watched again (new ones among the lost events too), the hashes are forgotten, and
//! the plan stage answers with a full reload. The root itself is checked a few times a second:
//! deleted and made again, or moved away and replaced, it is watched afresh and the batch says
//! `rescan` (the native backend would go on following the old folder and report nothing).

pub mod filter;
pub mod poll;

pub use filter::{Filter, Scope};

use crate::base::{Change, ChangeBatch, ChangeKind, SitePath};
use crate::settings::Settings;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
use notify::{EventKind, RecursiveMode};
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long a file found empty is given to fill up, and how often it is read meanwhile.
pub const EMPTY_PATIENCE: Duration = Duration::from_millis(100);
const EMPTY_RETRY: Duration = Duration::from_millis(5);

/// Reads `path`, reading it again every few milliseconds while it is empty, until `deadline`:
/// many editors save by truncating the file, then writing it, and a read in between would
/// take a save in progress for an empty file. An empty file is believed once the deadline
/// has passed. Also used by the serve stage, whose requests can land in the middle of a save.
pub fn read_settled(path: &Path, deadline: Instant) -> std::io::Result<Vec<u8>> {
    loop {
        let bytes = std::fs::read(path)?;
        if !bytes.is_empty() || Instant::now() >= deadline {
            return Ok(bytes);
        }
        std::thread::sleep(EMPTY_RETRY);
    }
}

/// A backend event reduced to what coalescing needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raw {
    /// The content at this absolute path may have changed, appeared or gone.
    Touched(PathBuf),
    /// The backend lost events; the whole tree must be assumed changed.
    Rescan,
}

/// Maps one notify event to raw events. `native` backends report a finished write as a
/// close-after-write, so their plain modification events are skipped; the poller has only
/// modification events (data or mtime) and keeps them.
pub fn raw_events(event: notify::Event, native: bool) -> Vec<Raw> {
    if event.need_rescan() {
        return vec![Raw::Rescan];
    }
    let relevant = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        // A new folder must be watched. Natively a new file is announced at creation, before
        // its content is written; its close-after-write follows.
        EventKind::Create(CreateKind::Folder) => true,
        EventKind::Create(_) => !native,
        EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Name(_)) => true,
        // The poller reports a new mtime as a metadata change; natively it is only a touch.
        EventKind::Modify(_) => !native,
        EventKind::Any | EventKind::Other => true,
    };
    if !relevant {
        return Vec::new();
    }
    event.paths.into_iter().map(Raw::Touched).collect()
}

/// The paths one batch must look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// Each touched path once, in the order first seen.
    pub paths: Vec<PathBuf>,
    pub rescan: bool,
}

/// Leading-edge coalescing: `first` is the event that woke the watcher, `rest` is everything
/// that is already queued behind it. Nothing waits for more to arrive.
pub fn coalesce(first: Raw, rest: impl IntoIterator<Item = Raw>) -> Pending {
    let mut pending = Pending::default();
    let mut seen = HashSet::new();
    for raw in std::iter::once(first).chain(rest) {
        match raw {
            Raw::Rescan => pending.rescan = true,
            Raw::Touched(path) => {
                if seen.insert(path.clone()) {
                    pending.paths.push(path);
                }
            }
        }
    }
    pending
}

/// The last seen content hash of every file an event named.
#[derive(Debug, Default)]
pub struct ContentHashes {
    seen: HashMap<PathBuf, u64>,
}

impl ContentHashes {
    /// Reads `path` (an empty file again until `deadline`, see [`read_settled`]) and says
    /// whether it changed since it was last observed: `None` for a save that changed nothing
    /// (or for a directory).
    pub fn observe(&mut self, path: &Path, deadline: Instant) -> Option<ChangeKind> {
        match read_settled(path, deadline) {
            Ok(bytes) => {
                let mut hasher = DefaultHasher::new();
                hasher.write(&bytes);
                let hash = hasher.finish();
                let previous = self.seen.insert(path.to_path_buf(), hash);
                (previous != Some(hash)).then_some(ChangeKind::Modified)
            }
            Err(_) if path.is_dir() => None,
            Err(_) => {
                self.seen.remove(path);
                Some(ChangeKind::Removed)
            }
        }
    }

    pub fn forget_all(&mut self) {
        self.seen.clear();
    }
}

/// Turns pending paths into a batch: drops ignored paths, directories and unchanged content.
pub fn settle(
    pending: Pending,
    root: &Path,
    filter: &dyn Filter,
    hashes: &mut ContentHashes,
) -> ChangeBatch {
    if pending.rescan {
        hashes.forget_all();
    }
    let mut batch = ChangeBatch {
        changes: Vec::new(),
        rescan: pending.rescan,
        noticed: None,
    };
    // One wait for empty files per batch, however many there are.
    let deadline = Instant::now() + EMPTY_PATIENCE;
    for path in pending.paths {
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        if relative.as_os_str().is_empty() || filter.is_ignored(relative, path.is_dir()) {
            continue;
        }
        if let Some(kind) = hashes.observe(&path, deadline) {
            let site_path = SitePath::new(&relative.to_string_lossy().replace('\\', "/"));
            batch.changes.push(Change {
                path: site_path,
                kind,
            });
        }
    }
    batch
}

/// How far the watcher got with arming its backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arming {
    Pending,
    /// Watching this many folders.
    Armed {
        folders: usize,
    },
    /// The backend could not be set up: serving goes on without hot updates.
    Failed(String),
}

/// A running watcher. Dropping it stops the backend and, with it, the batches.
pub struct Watcher {
    pub batches: mpsc::Receiver<ChangeBatch>,
    arming: tokio::sync::watch::Receiver<Arming>,
}

impl Watcher {
    /// A handle that resolves once the backend is armed (or failed to arm).
    pub fn arming(&self) -> ArmingSignal {
        ArmingSignal(self.arming.clone())
    }
}

/// Resolves once the watcher's backend is armed (what `Server::arming` and `Hotplate::arming` hand out).
#[derive(Clone)]
pub struct ArmingSignal(tokio::sync::watch::Receiver<Arming>);

impl ArmingSignal {
    pub async fn wait(mut self) -> Arming {
        match self.0.wait_for(|a| *a != Arming::Pending).await {
            Ok(arming) => arming.clone(),
            Err(_) => Arming::Failed("the watcher stopped".into()),
        }
    }
}

/// Starts a watcher on the settings' root. It returns at once: the backend is armed on the
/// watcher's own thread (folder by folder, skipping ignored ones), and [`Watcher::arming`] says
/// when that is done. The same thread then coalesces events into batches.
pub fn start(settings: &Settings) -> Watcher {
    start_with(settings, Box::new(Scope::of(settings)))
}

/// [`start`] with another filter.
pub fn start_with(settings: &Settings, filter: Box<dyn Filter>) -> Watcher {
    let tops = watched_tops(settings);
    let (root, poll) = (settings.root.clone(), settings.poll);
    // Capacity 1: while the pipeline works on a batch, new events queue up in the raw channel
    // and become the next batch together.
    let (batch_tx, batches) = mpsc::channel(1);
    let (arming_tx, arming) = tokio::sync::watch::channel(Arming::Pending);
    std::thread::Builder::new()
        .name("hotplate-watch".into())
        .spawn(move || {
            let (raw_tx, raw_rx) = std_mpsc::channel::<Raw>();
            let backend = match backend(poll, raw_tx.clone()) {
                Ok(backend) => backend,
                Err(err) => {
                    let _ = arming_tx.send(Arming::Failed(err.to_string()));
                    return;
                }
            };
            let mut watching = Watching {
                // Which folder is armed, taken before anyone hears it is: a root replaced the
                // moment after must still count as replaced.
                root: Root::at(root),
                poll,
                tops,
                filter,
                backend,
                raw_tx,
                raw_rx,
                hashes: ContentHashes::default(),
                batches: batch_tx,
            };
            let folders = watching.arm_all();
            let _ = arming_tx.send(Arming::Armed { folders });
            watching.run();
        })
        .expect("spawn the watch thread");
    Watcher { batches, arming }
}

/// The folders armed one by one: a site's root; an app's mounted folders, once each (a folder
/// inside another one, such as a proxy's asset folder under its root, is armed with it).
fn watched_tops(settings: &Settings) -> Vec<PathBuf> {
    if settings.mounts.is_empty() {
        return vec![settings.root.clone()];
    }
    let folders: Vec<&PathBuf> = settings.mounts.iter().map(|m| &m.folder).collect();
    folders
        .iter()
        .enumerate()
        .filter(|(i, folder)| {
            !folders.iter().enumerate().any(|(j, other)| {
                (j != *i && folder.starts_with(other) && *folder != other)
                    || (j < *i && *folder == other)
            })
        })
        .map(|(_, folder)| (*folder).clone())
        .collect()
}

/// The watch thread's state: the backend and what it reports, until the pipeline goes.
struct Watching {
    root: Root,
    poll: Option<Duration>,
    tops: Vec<PathBuf>,
    filter: Box<dyn Filter>,
    backend: Box<dyn notify::Watcher + Send>,
    raw_tx: std_mpsc::Sender<Raw>,
    raw_rx: std_mpsc::Receiver<Raw>,
    hashes: ContentHashes,
    batches: mpsc::Sender<ChangeBatch>,
}

/// What the backend said since the last look.
enum Heard {
    Event(Raw),
    /// Nothing within [`LIVENESS_CHECK`]: time to check on the root.
    Quiet,
    /// The backend or the pipeline is gone.
    Stop,
}

impl Watching {
    /// Arms every top folder; returns how many folders are watched.
    fn arm_all(&mut self) -> usize {
        let backend = self.backend.as_mut();
        self.tops.iter().map(|top| arm(backend, top, false).0).sum()
    }

    /// Events into batches, in order, until the pipeline goes:
    /// 1. wait for an event (or a quiet moment);
    /// 2. check that the root is still the folder armed ([`Root::check`]);
    /// 3. coalesce the event with those right behind it into a batch ([`Watching::batch`]);
    /// 4. hand the batch to the pipeline.
    fn run(mut self) {
        loop {
            let first = match self.listen() {
                Heard::Event(first) => Some(first),
                Heard::Quiet => None,
                Heard::Stop => return,
            };
            match self.root.check() {
                RootNow::Same => {}
                RootNow::Gone => continue,
                RootNow::Replaced => {
                    if self.watch_new_root().is_err() {
                        return;
                    }
                    continue;
                }
            }
            let Some(first) = first else { continue };
            let batch = self.batch(first);
            if !batch.is_empty() && self.batches.blocking_send(batch).is_err() {
                return;
            }
        }
    }

    fn listen(&self) -> Heard {
        match self.raw_rx.recv_timeout(LIVENESS_CHECK) {
            Ok(first) => Heard::Event(first),
            Err(std_mpsc::RecvTimeoutError::Timeout) if self.batches.is_closed() => Heard::Stop,
            Err(std_mpsc::RecvTimeoutError::Timeout) => Heard::Quiet,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => Heard::Stop,
        }
    }

    /// The root is another folder now: a fresh backend watches it, what the old one still
    /// reports is dropped, and the pipeline hears of a rescan (every page reloads). `Err`
    /// when the pipeline is gone.
    fn watch_new_root(&mut self) -> Result<(), ()> {
        match backend(self.poll, self.raw_tx.clone()) {
            Ok(fresh) => self.backend = fresh,
            Err(err) => tracing::error!("cannot watch the new root: {err}"),
        }
        self.arm_all();
        // What the old folder's watches still report is about files that left.
        let _ = self.raw_rx.try_iter().count();
        self.hashes.forget_all();
        let rescan = ChangeBatch {
            changes: Vec::new(),
            rescan: true,
            noticed: Some(std::time::SystemTime::now()),
        };
        self.batches.blocking_send(rescan).map_err(|_| ())
    }

    /// `first` and the events right behind it, as one batch of changed files.
    fn batch(&mut self, first: Raw) -> ChangeBatch {
        let noticed = std::time::SystemTime::now();
        let mut pending = coalesce(first, self.raw_rx.try_iter());
        if pending.rescan {
            // Events were lost, folders made among them too: watch every folder again (those
            // already watched stay as they are).
            self.arm_all();
        }
        // A folder that appeared (created or moved in) is watched from now on, and the files
        // it brought count as changed.
        let new_folders: Vec<PathBuf> = pending
            .paths
            .iter()
            .filter(|p| p.is_dir())
            .cloned()
            .collect();
        for folder in new_folders {
            pending
                .paths
                .extend(arm(self.backend.as_mut(), &folder, true).1);
        }
        ChangeBatch {
            noticed: Some(noticed),
            ..settle(
                pending,
                self.root.path(),
                self.filter.as_ref(),
                &mut self.hashes,
            )
        }
    }
}

/// The site's root, and which folder it was when it was armed.
struct Root {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

/// What the root is now, against what was armed.
#[derive(Debug, PartialEq, Eq)]
enum RootNow {
    Same,
    /// Nothing is there: hotplate waits for it to come back.
    Gone,
    /// Another folder is there (deleted and made again, or moved away and another put in its
    /// place): the backend still follows the old one, and would never report a save again.
    Replaced,
}

impl Root {
    fn at(path: PathBuf) -> Root {
        let identity = folder_identity(&path);
        Root { path, identity }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Looks at the root again (one `stat`); says so in the log when it changed.
    fn check(&mut self) -> RootNow {
        let now = folder_identity(&self.path);
        if now == self.identity {
            return RootNow::Same;
        }
        self.identity = now;
        if self.identity.is_none() {
            tracing::error!(
                "the site root {} is gone; hotplate waits for it to come back",
                self.path.display()
            );
            return RootNow::Gone;
        }
        tracing::warn!(
            "the site root {} was replaced; watching the new one, and reloading",
            self.path.display()
        );
        RootNow::Replaced
    }
}

/// Which folder `root` is now (device and inode), or `None` while nothing is there: the same
/// path may come to name another folder.
fn folder_identity(root: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(root)
        .ok()
        .filter(|meta| meta.is_dir())
        .map(|meta| (meta.dev(), meta.ino()))
}

/// How often an idle watcher checks whether anyone still listens, and whether its root is
/// still the folder it watches.
const LIVENESS_CHECK: Duration = Duration::from_millis(250);

fn backend(
    poll: Option<Duration>,
    raw_tx: std_mpsc::Sender<Raw>,
) -> notify::Result<Box<dyn notify::Watcher + Send>> {
    let native = poll.is_none();
    let handler = move |result: notify::Result<notify::Event>| {
        let raws = match result {
            Ok(event) => raw_events(event, native),
            Err(err) => {
                tracing::warn!("watcher: {err}; rescanning");
                vec![Raw::Rescan]
            }
        };
        for raw in raws {
            let _ = raw_tx.send(raw);
        }
    };
    Ok(match poll {
        None => Box::new(notify::recommended_watcher(handler)?),
        Some(interval) => Box::new(poll::StatPoller::new(handler, interval)),
    })
}

/// Watches `folder` and every folder below it that is not hidden or ignored, one by one, so
/// that `node_modules`, `.git` and build output cost nothing. Returns how many folders are
/// watched and, with `collect_files`, the files found on the way (only for a folder that
/// appeared: at start, a large tree's file list would cost megabytes for nothing).
fn arm(
    backend: &mut dyn notify::Watcher,
    folder: &Path,
    collect_files: bool,
) -> (usize, Vec<PathBuf>) {
    let mut folders = 0;
    let mut files = Vec::new();
    let walk = ignore::WalkBuilder::new(folder)
        .hidden(true)
        .parents(true)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .build();
    for entry in walk.flatten() {
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            match backend.watch(path, RecursiveMode::NonRecursive) {
                Ok(()) => folders += 1,
                Err(err) => tracing::warn!("cannot watch {}: {err}", path.display()),
            }
        } else if collect_files {
            files.push(path.to_path_buf());
        }
    }
    (folders, files)
}

#[cfg(test)]
mod tests {
    use super::filter::{IgnoreRules, is_editor_temp};
    use super::*;
    use notify::event::{DataChange, RenameMode};

    #[test]
    fn a_site_is_watched_from_its_root_and_an_app_from_each_mounted_folder_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_root(dir.path()).unwrap();
        assert_eq!(watched_tops(&settings), vec![settings.root.clone()]);
        let mount = |folder: &str| crate::settings::Mount {
            folder: settings.root.join(folder),
            prefix: None,
        };
        let (static_, nested, templates) =
            (mount("static"), mount("static/img"), mount("templates"));
        settings.mounts = vec![nested, static_, templates, mount("static")];
        assert_eq!(
            watched_tops(&settings),
            vec![
                settings.root.join("static"),
                settings.root.join("templates")
            ],
            "a folder inside another is armed with it, and a folder named twice once"
        );
    }

    #[test]
    fn the_root_is_known_gone_and_known_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site");
        std::fs::create_dir(&path).unwrap();
        let mut root = Root::at(path.clone());
        assert_eq!(root.check(), RootNow::Same);
        std::fs::remove_dir(&path).unwrap();
        assert_eq!(root.check(), RootNow::Gone);
        assert_eq!(root.check(), RootNow::Same, "still gone");
        // Another folder where it was (a new inode, even if the number is reused, comes back
        // from nothing).
        std::fs::create_dir(&path).unwrap();
        assert_eq!(root.check(), RootNow::Replaced);
        assert_eq!(root.check(), RootNow::Same);
    }

    fn touched(p: &str) -> Raw {
        Raw::Touched(PathBuf::from(p))
    }

    #[test]
    fn coalescing_keeps_each_path_once_in_first_seen_order() {
        let pending = coalesce(
            touched("/r/b"),
            [touched("/r/a"), touched("/r/b"), touched("/r/c")],
        );
        assert_eq!(
            pending.paths,
            ["/r/b", "/r/a", "/r/c"].map(PathBuf::from).to_vec()
        );
        assert!(!pending.rescan);
    }

    #[test]
    fn coalescing_acts_on_a_lone_event_without_waiting_for_company() {
        let pending = coalesce(touched("/r/a"), []);
        assert_eq!(pending.paths, vec![PathBuf::from("/r/a")]);
    }

    #[test]
    fn an_overflow_anywhere_in_the_burst_marks_a_rescan() {
        assert!(coalesce(touched("/r/a"), [Raw::Rescan]).rescan);
    }

    #[test]
    fn native_writes_count_at_close_not_at_each_write() {
        let write = notify::Event::new(EventKind::Modify(ModifyKind::Data(DataChange::Any)))
            .add_path("/r/a".into());
        let close = notify::Event::new(EventKind::Access(AccessKind::Close(AccessMode::Write)))
            .add_path("/r/a".into());
        assert!(raw_events(write.clone(), true).is_empty());
        assert_eq!(raw_events(close, true), vec![touched("/r/a")]);
        assert_eq!(raw_events(write, false), vec![touched("/r/a")]);
    }

    #[test]
    fn renames_report_both_ends() {
        let rename = notify::Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path("/r/.tmp1".into())
            .add_path("/r/a".into());
        assert_eq!(
            raw_events(rename, true),
            vec![touched("/r/.tmp1"), touched("/r/a")]
        );
        let create =
            notify::Event::new(EventKind::Create(CreateKind::File)).add_path("/r/n".into());
        assert!(
            raw_events(create.clone(), true).is_empty(),
            "natively, wait for the close"
        );
        assert_eq!(raw_events(create, false), vec![touched("/r/n")]);
    }

    #[test]
    fn editor_temp_files_are_recognised() {
        for name in [
            "4913",
            "main.css~",
            ".#main.css",
            "#main.css#",
            ".main.css.swp",
            "x.tmp",
            "a.css___jb_tmp___",
        ] {
            assert!(is_editor_temp(name), "{name}");
        }
        for name in ["main.css", "index.html", "tmp.js", "swp"] {
            assert!(!is_editor_temp(name), "{name}");
        }
    }

    #[test]
    fn ignore_rules_hide_dotfiles_temp_files_and_gitignored_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "dist/\n*.log\n").unwrap();
        let rules = IgnoreRules::load(dir.path());
        assert!(rules.is_ignored(Path::new(".git/index"), false));
        assert!(rules.is_ignored(Path::new("a/.hidden"), false));
        assert!(rules.is_ignored(Path::new("main.css~"), false));
        assert!(rules.is_ignored(Path::new("dist/app.js"), false));
        assert!(rules.is_ignored(Path::new("debug.log"), false));
        assert!(!rules.is_ignored(Path::new("main.css"), false));
        assert!(!rules.is_ignored(Path::new("pages/index.html"), false));
    }

    #[test]
    fn a_save_that_changes_nothing_is_not_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.css");
        let mut hashes = ContentHashes::default();
        std::fs::write(&file, "a{}").unwrap();
        assert_eq!(
            hashes.observe(&file, Instant::now()),
            Some(ChangeKind::Modified)
        );
        std::fs::write(&file, "a{}").unwrap();
        assert_eq!(hashes.observe(&file, Instant::now()), None);
        std::fs::write(&file, "b{}").unwrap();
        assert_eq!(
            hashes.observe(&file, Instant::now()),
            Some(ChangeKind::Modified)
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(
            hashes.observe(&file, Instant::now()),
            Some(ChangeKind::Removed)
        );
    }

    #[test]
    fn a_file_caught_empty_mid_save_is_read_again_until_it_fills() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.html");
        std::fs::write(&file, "").unwrap();
        let writer = {
            let file = file.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                std::fs::write(file, "<p>saved</p>").unwrap();
            })
        };
        let bytes = read_settled(&file, Instant::now() + Duration::from_secs(5)).unwrap();
        writer.join().unwrap();
        assert_eq!(bytes, b"<p>saved</p>");
        // Past the deadline an empty file is believed.
        std::fs::write(&file, "").unwrap();
        assert!(read_settled(&file, Instant::now()).unwrap().is_empty());
    }

    #[test]
    fn settling_an_atomic_save_leaves_one_change_to_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let target = root.join("main.css");
        let temp = root.join(".main.css.tmp123");
        std::fs::write(&temp, "body{}").unwrap();
        std::fs::rename(&temp, &target).unwrap();
        let pending = coalesce(
            Raw::Touched(temp.clone()),
            [Raw::Touched(temp), Raw::Touched(target)],
        );
        let batch = settle(
            pending,
            root,
            &IgnoreRules::load(root),
            &mut ContentHashes::default(),
        );
        assert_eq!(
            batch.changes,
            vec![Change {
                path: SitePath::new("main.css"),
                kind: ChangeKind::Modified
            }]
        );
    }
}
