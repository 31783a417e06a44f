//! The watcher: notify events in, coalesced and hashed change batches out.
//!
//! - A save is reported once, as a change to that file.
//! - A save that changes no byte is not reported.
//! - An atomic save (temp file, then rename) is one change to the target.
//! - Editor temp files, dotfiles and gitignored paths are never reported.
//! - `--poll` watches by polling: one `stat` per file and poll, so saves within one second
//!   count, and no file is read until it changed.
//! - A root deleted and made again (or moved away and replaced) is watched afresh: a `rescan`
//!   batch (every page reloads), then its saves as before.

use hotplate::Settings;
use hotplate::testing::base::{ChangeBatch, ChangeKind};
use hotplate::testing::watch;
use std::path::Path;
use std::time::Duration;

struct Watched {
    dir: tempfile::TempDir,
    watcher: watch::Watcher,
}

fn watched(poll: Option<Duration>) -> Watched {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "dist/\n").unwrap();
    std::fs::write(dir.path().join("style.css"), "a{}").unwrap();
    let mut settings = Settings::for_root(dir.path()).unwrap();
    settings.poll = poll;
    let watcher = watch::start(&settings);
    Watched { dir, watcher }
}

impl Watched {
    async fn armed(self) -> Self {
        let arming = self.watcher.arming().wait().await;
        assert!(matches!(arming, watch::Arming::Armed { .. }), "{arming:?}");
        self
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    async fn next(&mut self) -> ChangeBatch {
        tokio::time::timeout(Duration::from_secs(10), self.watcher.batches.recv())
            .await
            .expect("a batch within 10 s")
            .expect("the watcher is running")
    }

    /// Collects batches until `name` shows up; returns every path seen on the way.
    async fn paths_until(&mut self, name: &str) -> Vec<(String, ChangeKind)> {
        let mut seen = Vec::new();
        loop {
            let batch = self.next().await;
            let done = batch.changes.iter().any(|c| c.path.as_str() == name);
            seen.extend(
                batch
                    .changes
                    .into_iter()
                    .map(|c| (c.path.to_string(), c.kind)),
            );
            if done {
                return seen;
            }
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_save_is_one_change_to_that_file() {
    let mut w = watched(None).armed().await;
    write(&w.path("style.css"), "b{}");
    let seen = w.paths_until("style.css").await;
    assert_eq!(seen, vec![("style.css".to_string(), ChangeKind::Modified)]);
}

#[tokio::test]
async fn a_save_that_changes_nothing_is_not_reported() {
    let mut w = watched(None).armed().await;
    write(&w.path("style.css"), "b{}");
    w.paths_until("style.css").await;
    write(&w.path("style.css"), "b{}");
    write(&w.path("marker.txt"), "m");
    let seen = w.paths_until("marker.txt").await;
    assert_eq!(seen, vec![("marker.txt".to_string(), ChangeKind::Modified)]);
}

#[tokio::test]
async fn an_atomic_save_is_one_change_to_the_target() {
    let mut w = watched(None).armed().await;
    for (temp, text) in [(".style.css.tmp42", "c{}"), ("style.css.tmp", "d{}")] {
        write(&w.path(temp), text);
        std::fs::rename(w.path(temp), w.path("style.css")).unwrap();
        let seen = w.paths_until("style.css").await;
        assert_eq!(
            seen,
            vec![("style.css".to_string(), ChangeKind::Modified)],
            "via {temp}"
        );
    }
}

#[tokio::test]
async fn editor_temp_files_dotfiles_and_ignored_paths_are_never_reported() {
    let mut w = watched(None).armed().await;
    std::fs::create_dir(w.path("dist")).unwrap();
    for name in [
        "4913",
        "style.css~",
        ".#style.css",
        ".style.css.swp",
        "dist/bundle.js",
        ".hidden",
    ] {
        write(&w.path(name), "x");
    }
    write(&w.path("real.txt"), "r");
    let seen = w.paths_until("real.txt").await;
    assert_eq!(seen, vec![("real.txt".to_string(), ChangeKind::Modified)]);
}

#[tokio::test]
async fn the_roots_env_files_are_reported_though_hidden() {
    let mut w = watched(None).armed().await;
    write(&w.path(".env.local"), "VITE_X=1");
    let seen = w.paths_until(".env.local").await;
    assert_eq!(seen, vec![(".env.local".to_string(), ChangeKind::Modified)]);
}

#[tokio::test]
async fn a_removed_file_is_reported_as_removed() {
    let mut w = watched(None).armed().await;
    std::fs::remove_file(w.path("style.css")).unwrap();
    let seen = w.paths_until("style.css").await;
    assert_eq!(seen, vec![("style.css".to_string(), ChangeKind::Removed)]);
}

#[tokio::test]
async fn a_burst_of_saves_reports_each_file_once() {
    let mut w = watched(None).armed().await;
    for i in 0..5 {
        write(&w.path(&format!("f{i}.txt")), "x");
    }
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.extend(
            w.next()
                .await
                .changes
                .into_iter()
                .map(|c| c.path.to_string()),
        );
    }
    seen.sort();
    assert_eq!(seen, vec!["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]);
}

#[tokio::test]
async fn polling_watches_too() {
    let mut w = watched(Some(Duration::from_millis(50))).armed().await;
    write(&w.path("style.css"), "polled{}");
    let seen = w.paths_until("style.css").await;
    assert_eq!(seen, vec![("style.css".to_string(), ChangeKind::Modified)]);
}

#[tokio::test]
async fn ignored_folders_are_not_watched_and_new_folders_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "node_modules/\n").unwrap();
    for folder in ["a/b", "node_modules/x/y", ".git/objects"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    let watcher = watch::start(&Settings::for_root(dir.path()).unwrap());
    // The root, a and a/b: nothing under node_modules or .git.
    assert_eq!(
        watcher.arming().wait().await,
        watch::Arming::Armed { folders: 3 }
    );
    let mut w = Watched { dir, watcher };
    // A folder created later is watched, and what it brings is reported.
    std::fs::create_dir_all(w.path("new/deeper")).unwrap();
    write(&w.path("new/deeper/page.css"), "x");
    let seen = w.paths_until("new/deeper/page.css").await;
    assert!(
        seen.contains(&("new/deeper/page.css".to_string(), ChangeKind::Modified)),
        "{seen:?}"
    );
    write(&w.path("new/deeper/page.css"), "y");
    let seen = w.paths_until("new/deeper/page.css").await;
    assert_eq!(
        seen,
        vec![("new/deeper/page.css".to_string(), ChangeKind::Modified)]
    );
}

#[tokio::test]
async fn a_folder_moved_in_brings_its_files() {
    let mut w = watched(None).armed().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("pkg")).unwrap();
    write(&outside.path().join("pkg/mod.js"), "export {}");
    std::fs::rename(outside.path().join("pkg"), w.path("pkg")).unwrap();
    let seen = w.paths_until("pkg/mod.js").await;
    assert!(
        seen.contains(&("pkg/mod.js".to_string(), ChangeKind::Modified)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_root_deleted_and_made_again_is_watched_afresh() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("site");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.css"), "a{}").unwrap();
    let settings = Settings::for_root(&root).unwrap();
    let mut watcher = watch::start(&settings);
    assert!(matches!(
        watcher.arming().wait().await,
        watch::Arming::Armed { .. }
    ));
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(10), watcher.batches.recv())
            .await
            .expect("a batch within 10 s")
            .expect("the watcher is running")
    };
    // Moved away, and another folder put in its place (a checkout, a build step).
    std::fs::rename(&root, parent.path().join("old")).unwrap();
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.css"), "b{}").unwrap();
    loop {
        if next().await.rescan {
            break;
        }
    }
    // A rescan may also come from the old folder's own events, before the new one is armed:
    // save again after each batch until a save is seen.
    for round in 0.. {
        write(&root.join("a.css"), &format!("c{round}{{}}"));
        let batch = next().await;
        if batch.changes.iter().any(|c| c.path.as_str() == "a.css") {
            break;
        }
    }
    // The old folder's files are no longer reported as the site's.
    write(&parent.path().join("old/a.css"), "old{}");
    write(&root.join("b.css"), "b{}");
    loop {
        let batch = next().await;
        assert!(
            batch.changes.iter().all(|c| c.path.as_str() != "a.css"),
            "{batch:?}"
        );
        if batch.changes.iter().any(|c| c.path.as_str() == "b.css") {
            break;
        }
    }
}

#[tokio::test]
async fn polling_sees_saves_of_the_same_length_within_one_second() {
    let mut w = watched(Some(Duration::from_millis(20))).armed().await;
    for text in ["one{}", "two{}", "six{}"] {
        write(&w.path("style.css"), text);
        let seen = w.paths_until("style.css").await;
        assert_eq!(
            seen,
            vec![("style.css".to_string(), ChangeKind::Modified)],
            "{text}"
        );
    }
}
