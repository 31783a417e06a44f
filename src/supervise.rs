//! The backend supervisor (`--exec`): hotplate runs the backend, restarts it when its sources
//! change, and tells the browsers what became of it.
//!
//! One start, in order:
//! 1. **Spawn** the command with `sh -c` in the root, in a process group of its own, with
//!    `PORT` set to the proxied port and `HOTPLATE=off` (an axum app with hotplate's layer
//!    leaves the updates to this hotplate). Its output is printed with a `[backend]` prefix, and
//!    its last lines are kept for the overlay.
//! 2. **Wait until it answers** an HTTP request (any status). Requests wait meanwhile
//!    ([`crate::backend::Backend::settled`]). Once it answers, the pipeline hears of it
//!    ([`Backend::came_up`]) and every open page fetches itself again and morphs. When it takes
//!    longer than `--ready-timeout`, the overlay and the terminal say so; hotplate keeps asking.
//! 3. **Run until** it exits (the overlay shows its last lines, until the next start answers)
//!    or a source changes ([`Backend::restart`], from the pipeline).
//! 4. **Stop** it: `SIGTERM` to the whole group, then `SIGKILL` to what is left after a grace
//!    period, and wait until no process of the group is left, so the port is free for the next
//!    start. A group still running when hotplate stops is stopped the same way.
//!
//! The browsers stay connected to hotplate throughout: only the backend restarts.

use crate::app::App;
use crate::backend::{Backend, State};
use crate::base::ErrorReport;
use std::collections::VecDeque;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// The problem source the overlay shows the backend's failures under.
const PROBLEM: &str = "backend";

/// How many of its last lines are kept to show.
const TAIL: usize = 40;

/// How often a starting backend is asked whether it answers.
const PROBE_EVERY: Duration = Duration::from_millis(25);

/// How long a stopped backend has to exit before it is killed.
const GRACE: Duration = Duration::from_secs(5);

/// The backend's last lines of output, both streams interleaved.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<VecDeque<String>>>);

impl Output {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().expect("output");
        if lines.len() == TAIL {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().expect("output").iter().cloned().collect()
    }

    fn clear(&self) {
        self.0.lock().expect("output").clear();
    }
}

/// How a run of the backend ended.
enum Ended {
    Restart,
    Exited(std::io::Result<ExitStatus>),
}

/// Runs the backend for as long as hotplate runs (see the module's docs).
pub async fn run(app: Arc<App>) {
    let (Some(backend), Some(proxy)) = (app.backend.as_ref(), app.settings.proxy.as_ref()) else {
        return;
    };
    let Some(command) = proxy.exec.clone() else {
        return;
    };
    let Some(mut restarts) = backend.take_restart_requests().await else {
        return;
    };
    let output = Output::default();
    loop {
        output.clear();
        backend.set(State::Starting);
        tracing::info!("starting the backend: {command}");
        let mut running = match Running::start(&app, &command, &output) {
            Ok(running) => running,
            Err(err) => {
                let why = format!("hotplate could not start `{command}`: {err}");
                down(&app, backend, why, &output);
                if restarts.recv().await.is_none() {
                    return;
                }
                continue;
            }
        };
        let started = Instant::now();
        let ended = tokio::select! {
            () = until_it_answers(&app, backend, &command, &output, started) => None,
            status = running.child.wait() => Some(Ended::Exited(status)),
            request = restarts.recv() => match request {
                Some(()) => Some(Ended::Restart),
                // hotplate is stopping: dropping `running` stops the backend.
                None => return,
            },
        };
        let ended = match ended {
            Some(ended) => ended,
            None => tokio::select! {
                status = running.child.wait() => Ended::Exited(status),
                request = restarts.recv() => match request {
                    Some(()) => Ended::Restart,
                    None => return,
                },
            },
        };
        match ended {
            Ended::Restart => {
                tracing::info!("restarting the backend");
                // Requests from now on wait for the new process instead of finding none.
                backend.set(State::Starting);
                running.stop().await;
                // Saves that came in while it stopped are all in the next start.
                while restarts.try_recv().is_ok() {}
            }
            Ended::Exited(status) => {
                running.stopped = true;
                let why = match status {
                    Ok(status) => format!("it exited ({status})"),
                    Err(err) => format!("hotplate lost it: {err}"),
                };
                tracing::error!(
                    "the backend stopped: {why}. hotplate starts it again when its sources change."
                );
                down(&app, backend, why, &output);
                if restarts.recv().await.is_none() {
                    return;
                }
            }
        }
    }
}

/// Asks until the backend answers, then tells the pipeline. Past the ready timeout the
/// overlay says it has not answered, and hotplate goes on asking.
async fn until_it_answers(
    app: &App,
    backend: &Backend,
    command: &str,
    output: &Output,
    started: Instant,
) {
    let timeout = app
        .settings
        .proxy
        .as_ref()
        .map_or(Duration::from_secs(120), |p| p.ready_timeout);
    let mut late = false;
    loop {
        if backend.answers().await {
            tracing::info!(
                "the backend answers at {} ({:.1} s after it started)",
                backend.origin,
                started.elapsed().as_secs_f64()
            );
            app.problems.resolve(&app.hub, PROBLEM);
            backend.came_up(app);
            return;
        }
        if !late && started.elapsed() >= timeout {
            late = true;
            let why = format!(
                "`{command}` has not answered at {} within {:.1} s of starting. Is it listening \
                 on that port? (hotplate keeps waiting; --ready-timeout sets how long is too long)",
                backend.origin,
                timeout.as_secs_f64()
            );
            tracing::error!("{why}");
            down(app, backend, why, output);
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// The backend is down for `why`: the waiting pages and the overlay say so, with its output.
fn down(app: &App, backend: &Backend, why: String, output: &Output) {
    let lines = output.lines();
    app.problems.report(
        &app.hub,
        PROBLEM,
        ErrorReport {
            message: format!("The backend is down: {why}"),
            file: None,
            line: None,
            column: None,
            frame: lines.join("\n"),
        },
    );
    backend.set(State::Down { why, output: lines });
}

/// A started backend: its process group is stopped when this is dropped, unless it ended.
struct Running {
    child: Child,
    /// Its process group's id (its own pid).
    group: Option<i32>,
    stopped: bool,
}

impl Running {
    fn start(app: &App, command: &str, output: &Output) -> std::io::Result<Running> {
        let port = app.settings.proxy.as_ref().map_or(80, |p| p.port());
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(command)
            .current_dir(&app.settings.root)
            .env("PORT", port.to_string())
            .env("HOTPLATE", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A group of its own: what the command starts is stopped with it.
        #[cfg(unix)]
        shell.process_group(0);
        let mut child = shell.spawn()?;
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward(stdout, output.clone(), false));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward(stderr, output.clone(), true));
        }
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        Ok(Running {
            child,
            group,
            stopped: false,
        })
    }

    /// Stops the whole group and waits until it is gone (see the module's docs).
    async fn stop(&mut self) {
        self.stopped = true;
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        signal(self.group, Signal::Term);
        if self.gone_within(GRACE).await {
            return;
        }
        tracing::warn!(
            "the backend did not stop within {} s of SIGTERM: killing it",
            GRACE.as_secs()
        );
        signal(self.group, Signal::Kill);
        self.gone_within(Duration::from_secs(2)).await;
    }

    /// Whether no process of the group is left within `limit` (the shell is reaped meanwhile).
    async fn gone_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let group = self.group;
        loop {
            let _ = self.child.try_wait();
            // Reading every process's stat is file-system work: off the async workers.
            let alive = tokio::task::spawn_blocking(move || group_alive(group))
                .await
                .unwrap_or(false);
            if !alive {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        signal(self.group, Signal::Term);
        let deadline = Instant::now() + Duration::from_secs(2);
        while group_alive(self.group) && Instant::now() < deadline {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(10));
        }
        signal(self.group, Signal::Kill);
        let _ = self.child.try_wait();
    }
}

/// Prints the backend's output, line by line, with a prefix, and keeps its tail.
async fn forward(stream: impl AsyncRead + Unpin, output: Output, stderr: bool) {
    let mut lines = BufReader::new(stream).split(b'\n');
    while let Ok(Some(line)) = lines.next_segment().await {
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches('\r');
        if stderr {
            eprintln!("[backend] {line}");
        } else {
            println!("[backend] {line}");
        }
        output.push(plain(line));
    }
}

/// `line` without terminal escape sequences (colours), for the browser.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters… final byte in @..~
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

enum Signal {
    Term,
    Kill,
}

#[cfg(unix)]
fn signal(group: Option<i32>, signal: Signal) {
    use nix::sys::signal::{Signal as Nix, killpg};
    let Some(group) = group else { return };
    let signal = match signal {
        Signal::Term => Nix::SIGTERM,
        Signal::Kill => Nix::SIGKILL,
    };
    let _ = killpg(nix::unistd::Pid::from_raw(group), signal);
}

/// Whether a process of the group is still running. A process that exited but is not reaped
/// yet (a zombie: the backend's own children, orphaned when the shell died, wait for init,
/// which may take its time) has let go of its sockets, so it does not count.
#[cfg(unix)]
fn group_alive(group: Option<i32>) -> bool {
    let Some(group) = group else { return false };
    if nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), None).is_err() {
        return false;
    }
    let Ok(processes) = std::fs::read_dir("/proc") else {
        // No /proc to tell zombies by: the signal's answer is all there is.
        return true;
    };
    processes.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit());
        is_pid
            && std::fs::read_to_string(entry.path().join("stat"))
                .is_ok_and(|stat| running_in(&stat, group))
    })
}

/// Whether a `/proc/PID/stat` line is of a process of `group` that has not exited. The
/// command name, in parentheses, may hold anything: the fields are read after its last `)`.
#[cfg_attr(not(unix), allow(dead_code))]
fn running_in(stat: &str, group: i32) -> bool {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next();
    let _parent = fields.next();
    let pgrp = fields.next().and_then(|g| g.parse::<i32>().ok());
    pgrp == Some(group) && !matches!(state, Some("Z" | "X"))
}

/// Without process groups, only the shell itself can be stopped.
#[cfg(not(unix))]
fn signal(_group: Option<i32>, _signal: Signal) {}

#[cfg(not(unix))]
fn group_alive(_group: Option<i32>) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_dropped_for_the_browser() {
        assert_eq!(
            plain("\u{1b}[1m\u{1b}[31merror\u{1b}[0m: expected `;`"),
            "error: expected `;`"
        );
        assert_eq!(plain("plain text"), "plain text");
    }

    #[test]
    fn exited_processes_of_the_group_do_not_hold_it_up() {
        let running = "26616 (python3 (x)) S 1 26615 26615 0 -1";
        assert!(running_in(running, 26615));
        assert!(!running_in(running, 4));
        assert!(!running_in("26616 (python3) Z 1 26615 26615 0 -1", 26615));
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let output = Output::default();
        for i in 0..100 {
            output.push(format!("line {i}"));
        }
        let lines = output.lines();
        assert_eq!(lines.len(), TAIL);
        assert_eq!(lines.last().map(String::as_str), Some("line 99"));
    }
}
