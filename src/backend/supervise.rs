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
//!    A command that exits while processes it started live on (`app &`, `setsid app`, a
//!    server that forks into the background) has daemonized: hotplate goes on proxying to
//!    them, and the backend has ended only when none is left.
//! 4. **Stop** it: `SIGTERM` to every process of the backend, then `SIGKILL` to what is left
//!    after a grace period, and wait until none is left, so the port is free for the next
//!    start. A backend still running when hotplate stops is stopped the same way.
//!
//! The backend's processes are the command's process group, and every process that carries
//! the environment variable [`MARK`] with this hotplate's boot id: the command gets it, and
//! what it starts inherits it, also past `setsid`, a double fork or a new process group. A
//! process that clears its environment, or is started by another service (a database the
//! command asks systemd for), is not tracked.
//!
//! Restarts are paced: saves in a burst are one restart (those that arrive while it stops join
//! the next start), and a backend that keeps restarting before it answers (it writes a file
//! that restarts it as it starts, or quick saves keep finding it failing) waits longer before
//! each start, up to [`MAX_PAUSE`]; the overlay says so. One that answers between saves
//! restarts at once.
//!
//! Output is read in lines split at `\n` and `\r` (a progress bar redraws with `\r`), each kept
//! to [`LINE_LIMIT`] bytes: a line without end never fills hotplate's memory.
//!
//! The browsers stay connected to hotplate throughout: only the backend restarts.

use crate::backend::{Backend, State};
use crate::base::ErrorReport;
use crate::problems::Overlay;
use crate::settings::Settings;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
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

/// The environment variable that marks the backend's processes, with hotplate's boot id.
pub const MARK: &str = "HOTPLATE_BACKEND";

/// The most of one line of output that is kept and printed.
pub const LINE_LIMIT: usize = 4096;

/// Starts closer together than this, the last of which never answered, count as a backend
/// that keeps restarting.
const QUICK: Duration = Duration::from_secs(2);

/// Starts closer together than this count so whether or not the last one answered.
const FLASH: Duration = Duration::from_millis(300);

/// How many quick starts in a row are taken before hotplate waits before the next.
const QUICK_STARTS: usize = 3;

/// The first pause before a start once starts come quickly; each further quick start doubles
/// it, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// How long the output of a command that exited is read before the overlay shows it: what it
/// printed just before exiting may still be in the pipe.
const LAST_WORDS: Duration = Duration::from_millis(500);

/// The backend's last lines of output, both streams interleaved.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<VecDeque<String>>>);

impl Output {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == TAIL {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// How a run of the backend ended.
enum Ended {
    Restart,
    Exited(std::io::Result<ExitStatus>),
}

/// When the backend may start again: starts that come quickly one after another, before the
/// last one even answered (a backend that writes a file that restarts it as it starts, or
/// saves that keep finding it failing), wait, longer each time. A backend that answered
/// between saves starts at once, however fast someone edits.
#[derive(Default)]
struct Pace {
    /// The last start, and the first of the current run of quick starts.
    last: Option<Instant>,
    first: Option<Instant>,
    /// How many starts the current run of quick starts has had.
    run: usize,
    /// The pause before the last start.
    pause: Option<Duration>,
    /// Whether the last start answered.
    answered: bool,
}

impl Pace {
    /// How long to wait before a start at `now`, if at all.
    fn before_start(&mut self, now: Instant) -> Option<Duration> {
        let quick = self.last.is_some_and(|last| {
            let gap = now.duration_since(last);
            gap < FLASH || (!self.answered && gap < QUICK + self.pause.unwrap_or_default())
        });
        if !quick {
            self.run = 0;
            self.pause = None;
            return None;
        }
        if self.run < QUICK_STARTS {
            return None;
        }
        let pause = self
            .pause
            .map_or(FIRST_PAUSE, |pause| (pause * 2).min(MAX_PAUSE));
        self.pause = Some(pause);
        Some(pause)
    }

    /// A start happened at `now`.
    fn started(&mut self, now: Instant) {
        if self.run == 0 {
            self.first = Some(now);
        }
        self.run += 1;
        self.last = Some(now);
        self.answered = false;
    }

    /// The last start answered.
    fn answered(&mut self) {
        self.answered = true;
    }

    fn quick_starts(&self) -> usize {
        self.run
    }

    /// From the first quick start to the last.
    fn span(&self) -> Duration {
        match (self.first, self.last) {
            (Some(first), Some(last)) => last.duration_since(first),
            _ => Duration::ZERO,
        }
    }
}

/// A backend for the supervisor to run: the command, where, and whom it tells.
pub struct Job {
    /// The state requests read, which the supervisor sets.
    pub backend: Arc<Backend>,
    /// Where "the backend is down" shows.
    pub overlay: Overlay,
    /// The shell command (`--exec`).
    pub command: String,
    /// Where it runs (the site's root).
    pub root: PathBuf,
    /// Its `PORT`: the proxied port.
    pub port: u16,
    /// This hotplate's boot id, which marks the processes it starts.
    pub boot: String,
    /// How long it may take to answer before the overlay says so.
    pub ready_timeout: Duration,
}

impl Job {
    /// The job `settings` describe, for `backend`: `None` unless hotplate runs the backend.
    pub fn of(settings: &Settings, backend: Arc<Backend>, overlay: Overlay) -> Option<Job> {
        let proxy = settings.proxy.as_ref()?;
        Some(Job {
            backend,
            overlay,
            command: proxy.exec.clone()?,
            root: settings.root.clone(),
            port: proxy.port(),
            boot: settings.boot.clone(),
            ready_timeout: proxy.ready_timeout,
        })
    }
}

/// Runs the backend for as long as hotplate runs (see the module's docs).
pub async fn run(job: Job) {
    let (backend, command) = (&*job.backend, job.command.as_str());
    let Some(mut restarts) = backend.take_restart_requests().await else {
        return;
    };
    let output = Output::default();
    let mut pace = Pace::default();
    loop {
        if let Some(pause) = pace.before_start(Instant::now()) {
            let why = format!(
                "it restarted {} times in {:.0} s: waiting {:.1} s before starting it again",
                pace.quick_starts(),
                QUICK.as_secs_f64().max(pace.span().as_secs_f64()),
                pause.as_secs_f64()
            );
            tracing::warn!("the backend {why}");
            down(&job.overlay, backend, why, &output);
            // Saves meanwhile are all in that start.
            let slept = tokio::time::sleep(pause);
            tokio::pin!(slept);
            loop {
                tokio::select! {
                    () = &mut slept => break,
                    request = restarts.recv() => if request.is_none() { return },
                }
            }
        }
        pace.started(Instant::now());
        output.clear();
        backend.set(State::Starting);
        tracing::info!("starting the backend: {command}");
        let mut running = match Running::start(&job, &output) {
            Ok(running) => running,
            Err(err) => {
                let why = format!("hotplate could not start `{command}`: {err}");
                down(&job.overlay, backend, why, &output);
                if restarts.recv().await.is_none() {
                    return;
                }
                continue;
            }
        };
        let started = Instant::now();
        let ended = tokio::select! {
            () = until_it_answers(&job, &output, started) => {
                pace.answered();
                None
            }
            status = running.ended(command) => Some(Ended::Exited(status)),
            request = restarts.recv() => match request {
                Some(()) => Some(Ended::Restart),
                // hotplate is stopping: dropping `running` stops the backend.
                None => return,
            },
        };
        let ended = match ended {
            Some(ended) => ended,
            None => tokio::select! {
                status = running.ended(command) => Ended::Exited(status),
                request = restarts.recv() => match request {
                    Some(()) => Ended::Restart,
                    None => return,
                },
            },
        };
        match ended {
            Ended::Restart => {
                // A burst of saves is one restart: what is asked before it is done joins it
                // (at the leading edge, as the watcher's batches: no fixed wait).
                while restarts.try_recv().is_ok() {}
                tracing::info!("restarting the backend");
                // Requests from now on wait for the new process instead of finding none.
                backend.set(State::Starting);
                running.stop().await;
                // Saves that came in while it stopped are all in the next start.
                while restarts.try_recv().is_ok() {}
            }
            Ended::Exited(status) => {
                running.stopped = true;
                running.last_words().await;
                let why = match status {
                    Ok(status) => format!("it exited ({status})"),
                    Err(err) => format!("hotplate lost it: {err}"),
                };
                tracing::error!(
                    "the backend stopped: {why}. hotplate starts it again when its sources change."
                );
                down(&job.overlay, backend, why, &output);
                if restarts.recv().await.is_none() {
                    return;
                }
            }
        }
    }
}

/// Asks until the backend answers, then tells the pipeline. Past the ready timeout the
/// overlay says it has not answered, and hotplate goes on asking.
async fn until_it_answers(job: &Job, output: &Output, started: Instant) {
    let (backend, command, timeout) = (&*job.backend, &job.command, job.ready_timeout);
    let mut late = false;
    loop {
        if backend.answers().await {
            tracing::info!(
                "the backend answers at {} ({:.1} s after it started)",
                backend.origin,
                started.elapsed().as_secs_f64()
            );
            job.overlay.resolve(PROBLEM);
            backend.came_up();
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
            down(&job.overlay, backend, why, output);
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// The backend is down for `why`: the waiting pages and the overlay say so, with its output.
fn down(overlay: &Overlay, backend: &Backend, why: String, output: &Output) {
    let lines = output.lines();
    overlay.report(
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

/// A started backend: its processes are stopped when this is dropped (off this thread), unless
/// it ended.
struct Running {
    child: Child,
    /// Its processes: the command's group, and those marked with this hotplate's boot.
    processes: Processes,
    stopped: bool,
    /// The tasks that read its output.
    readers: Vec<tokio::task::JoinHandle<()>>,
}

/// Which processes are the backend's (see the module's docs).
#[derive(Clone, Debug)]
struct Processes {
    /// The command's process group's id (its own pid).
    group: Option<i32>,
    /// `MARK=<boot>`, as it appears in a process's environment.
    mark: String,
}

impl Running {
    fn start(job: &Job, output: &Output) -> std::io::Result<Running> {
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(&job.command)
            .current_dir(&job.root)
            .env("PORT", job.port.to_string())
            .env("HOTPLATE", "off")
            .env(MARK, &job.boot)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A group of its own: what the command starts is stopped with it.
        #[cfg(unix)]
        shell.process_group(0);
        let mut child = shell.spawn()?;
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(tokio::spawn(forward(stdout, output.clone(), false)));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(tokio::spawn(forward(stderr, output.clone(), true)));
        }
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        Ok(Running {
            child,
            processes: Processes {
                group,
                mark: format!("{MARK}={}", job.boot),
            },
            stopped: false,
            readers,
        })
    }

    /// Resolves when the backend has ended: the command exited, and no process it started
    /// lives on. A command that exits while they do has daemonized: that is said once, and
    /// hotplate goes on proxying to them.
    async fn ended(&mut self, command: &str) -> std::io::Result<ExitStatus> {
        let status = self.child.wait().await;
        let mut told = false;
        loop {
            // Found anew (twice, a moment apart: a process in the middle of `exec` may show no
            // environment for an instant), then watched by pid until they are gone: a full
            // look through /proc reads every process's environment.
            let processes = self.processes.clone();
            let found = tokio::task::spawn_blocking(move || {
                let found = processes.running();
                if !found.is_empty() {
                    return found;
                }
                std::thread::sleep(Duration::from_millis(50));
                processes.running()
            })
            .await
            .unwrap_or_default();
            if found.is_empty() {
                return status;
            }
            if !told {
                told = true;
                tracing::info!(
                    "`{command}` exited, and what it started runs on (in the background): \
                     hotplate goes on proxying to it, and stops it on restart and exit"
                );
            }
            while found.iter().any(|pid| still_running(*pid)) {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }

    /// Lets the output readers take what the command printed before it exited (for a moment:
    /// a process it left behind may hold the pipes).
    async fn last_words(&mut self) {
        let readers = std::mem::take(&mut self.readers);
        let _ = tokio::time::timeout(LAST_WORDS, futures_util::future::join_all(readers)).await;
    }

    /// Stops the whole group and waits until it is gone (see the module's docs).
    async fn stop(&mut self) {
        self.stopped = true;
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        self.signal(Signal::Term).await;
        if self.gone_within(GRACE).await {
            return;
        }
        tracing::warn!(
            "the backend did not stop within {} s of SIGTERM: killing it",
            GRACE.as_secs()
        );
        self.signal(Signal::Kill).await;
        self.gone_within(Duration::from_secs(2)).await;
    }

    /// Sends `signal` to every process of the backend (found on a blocking thread).
    async fn signal(&self, signal: Signal) {
        let processes = self.processes.clone();
        let _ = tokio::task::spawn_blocking(move || processes.signal(signal)).await;
    }

    /// Whether no process of the backend is left within `limit` (the shell is reaped
    /// meanwhile).
    async fn gone_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let _ = self.child.try_wait();
            // Reading every process's stat is file-system work: off the async workers.
            let processes = self.processes.clone();
            let alive = tokio::task::spawn_blocking(move || processes.alive())
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

/// The stops handed to threads by [`Running`]'s drop, for [`stopped`] to wait for.
static STOPPING: Mutex<Vec<std::thread::JoinHandle<()>>> = Mutex::new(Vec::new());

impl Drop for Running {
    /// Stops the backend without waiting here: a drop may run on an async worker (the
    /// supervisor's task, aborted). The command's group gets `SIGTERM` at once (one system
    /// call); finding the processes it left (a full look through `/proc`), waiting for them and
    /// killing what is left run on a thread of its own, which [`stopped`] waits for.
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        self.processes.signal_group(Signal::Term);
        let processes = self.processes.clone();
        let stop = std::thread::Builder::new()
            .name("hotplate-backend-stop".into())
            .spawn(move || processes.stop_within(Duration::from_secs(2)));
        match stop {
            Ok(stop) => {
                let mut stopping = STOPPING.lock().unwrap_or_else(PoisonError::into_inner);
                // Stops nobody waited for (a hotplate dropped, not stopped) are let go once done.
                stopping.retain(|stop| !stop.is_finished());
                stopping.push(stop);
            }
            Err(err) => tracing::warn!("could not stop the backend's processes: {err}"),
        }
    }
}

/// Resolves once every backend stop that a drop started is done (see [`Running`]'s drop):
/// hotplate waits for it before it exits, so no process it started outlives it.
pub async fn stopped() {
    let stops = std::mem::take(&mut *STOPPING.lock().unwrap_or_else(PoisonError::into_inner));
    if stops.is_empty() {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        for stop in stops {
            let _ = stop.join();
        }
    })
    .await;
}

/// Prints the backend's output, line by line, with a prefix, and keeps its tail.
async fn forward(stream: impl AsyncRead + Unpin, output: Output, stderr: bool) {
    let mut lines = Lines::new(stream);
    while let Some(line) = lines.next().await {
        if stderr {
            eprintln!("[backend] {line}");
        } else {
            println!("[backend] {line}");
        }
        output.push(plain(&line));
    }
}

/// A stream's lines, split at `\n`, `\r\n` or `\r`, each cut to [`LINE_LIMIT`] bytes (what is
/// cut is counted, not kept).
struct Lines<R> {
    reader: BufReader<R>,
    line: Vec<u8>,
    cut: usize,
    /// The last line ended with `\r`: a `\n` right after it ends nothing more.
    after_cr: bool,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    fn new(stream: R) -> Lines<R> {
        Lines {
            reader: BufReader::new(stream),
            line: Vec::new(),
            cut: 0,
            after_cr: false,
        }
    }

    /// The next line; `None` at the end of the stream (or when it fails).
    async fn next(&mut self) -> Option<String> {
        loop {
            let available = match self.reader.fill_buf().await {
                Ok([]) | Err(_) => return self.finish(),
                Ok(bytes) => bytes,
            };
            let mut used = 0;
            let mut done = false;
            for &byte in available {
                used += 1;
                match byte {
                    b'\n' if self.after_cr => self.after_cr = false,
                    b'\n' | b'\r' => {
                        self.after_cr = byte == b'\r';
                        done = true;
                        break;
                    }
                    _ => {
                        self.after_cr = false;
                        if self.line.len() < LINE_LIMIT {
                            self.line.push(byte);
                        } else {
                            self.cut += 1;
                        }
                    }
                }
            }
            self.reader.consume(used);
            if done {
                return Some(self.take());
            }
        }
    }

    /// What is left at the end of the stream, if anything.
    fn finish(&mut self) -> Option<String> {
        (!self.line.is_empty() || self.cut > 0).then(|| self.take())
    }

    fn take(&mut self) -> String {
        let mut line = String::from_utf8_lossy(&self.line).into_owned();
        if self.cut > 0 {
            line.push_str(&format!(" … ({} more bytes)", self.cut));
        }
        self.line.clear();
        self.cut = 0;
        line
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
impl Signal {
    fn nix(self) -> nix::sys::signal::Signal {
        match self {
            Signal::Term => nix::sys::signal::Signal::SIGTERM,
            Signal::Kill => nix::sys::signal::Signal::SIGKILL,
        }
    }
}

#[cfg(unix)]
impl Processes {
    /// Sends `signal` to the group and to every marked process.
    /// Sends `signal` to the command's process group only: one system call, no look through
    /// `/proc`.
    fn signal_group(&self, signal: Signal) {
        if let Some(group) = self.group {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(group), signal.nix());
        }
    }

    /// `SIGTERM` to every process of the backend, `SIGKILL` to those still running after
    /// `grace` (blocking: found once, then watched by pid).
    fn stop_within(&self, grace: Duration) {
        let found = self.running();
        self.signal(Signal::Term);
        let deadline = Instant::now() + grace;
        while found.iter().any(|pid| still_running(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.signal(Signal::Kill);
    }

    fn signal(&self, signal: Signal) {
        use nix::sys::signal::{kill, killpg};
        let signal = signal.nix();
        if let Some(group) = self.group {
            let _ = killpg(nix::unistd::Pid::from_raw(group), signal);
        }
        for pid in self.running() {
            let _ = kill(nix::unistd::Pid::from_raw(pid), signal);
        }
    }

    /// Whether a process of the backend is still running.
    fn alive(&self) -> bool {
        !self.running().is_empty()
    }

    /// The backend's processes that have not exited. A process that exited but is not reaped
    /// yet (a zombie: the backend's own children, orphaned when the shell died, wait for
    /// init, which may take its time) has let go of its sockets, so it does not count.
    fn running(&self) -> Vec<i32> {
        let Ok(processes) = std::fs::read_dir("/proc") else {
            // No /proc to tell them by: the group is all there is.
            return self
                .group
                .filter(|group| {
                    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(*group), None).is_ok()
                })
                .into_iter()
                .collect();
        };
        let own = std::process::id();
        processes
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| u32::try_from(*pid).ok() != Some(own))
            .filter(|pid| {
                let folder = std::path::PathBuf::from(format!("/proc/{pid}"));
                let Ok(stat) = std::fs::read_to_string(folder.join("stat")) else {
                    return false;
                };
                let Some(process) = Stat::read(&stat) else {
                    return false;
                };
                let in_group = self.group.is_some_and(|g| process.group == g);
                process.running
                    && (in_group || marked(&folder.join("environ"), self.mark.as_bytes()))
            })
            .collect()
    }
}

/// Whether the process `pid` has not exited (one `stat` read).
#[cfg(unix)]
fn still_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Stat::read(&stat))
        .is_some_and(|process| process.running)
}

#[cfg(not(unix))]
fn still_running(_pid: i32) -> bool {
    false
}

/// Whether the environment file `environ` (`/proc/PID/environ`) holds `mark` as an entry.
#[cfg(unix)]
fn marked(environ: &std::path::Path, mark: &[u8]) -> bool {
    std::fs::read(environ).is_ok_and(|env| env.split(|b| *b == 0).any(|entry| entry == mark))
}

/// What a `/proc/PID/stat` line says of a process.
#[cfg_attr(not(unix), allow(dead_code))]
struct Stat {
    /// It has not exited (it is not a zombie).
    running: bool,
    group: i32,
}

#[cfg_attr(not(unix), allow(dead_code))]
impl Stat {
    /// The command name, in parentheses, may hold anything: the fields are read after its
    /// last `)`.
    fn read(stat: &str) -> Option<Stat> {
        let (_, rest) = stat.rsplit_once(')')?;
        let mut fields = rest.split_ascii_whitespace();
        let state = fields.next()?;
        let _parent = fields.next();
        let group = fields.next()?.parse::<i32>().ok()?;
        Some(Stat {
            running: !matches!(state, "Z" | "X"),
            group,
        })
    }
}

/// Without process groups, only the shell itself can be stopped.
#[cfg(not(unix))]
impl Processes {
    fn signal(&self, _signal: Signal) {}

    fn signal_group(&self, _signal: Signal) {}

    fn stop_within(&self, _grace: Duration) {}

    fn alive(&self) -> bool {
        false
    }

    fn running(&self) -> Vec<i32> {
        Vec::new()
    }
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
        let running = Stat::read("26616 (python3 (x)) S 1 26615 26615 0 -1").unwrap();
        assert!(running.running && running.group == 26615);
        let zombie = Stat::read("26616 (python3) Z 1 26615 26615 0 -1").unwrap();
        assert!(!zombie.running);
    }

    /// The lines `Lines` makes of `bytes`.
    async fn lines_of(bytes: &[u8]) -> Vec<String> {
        let mut lines = Lines::new(bytes);
        let mut all = Vec::new();
        while let Some(line) = lines.next().await {
            all.push(line);
        }
        all
    }

    #[tokio::test]
    async fn lines_end_at_newlines_and_carriage_returns_and_are_cut_to_the_limit() {
        assert_eq!(
            lines_of(b"one\ntwo\r\n 10%\r 50%\rdone\nlast").await,
            ["one", "two", " 10%", " 50%", "done", "last"]
        );
        let long = vec![b'x'; LINE_LIMIT * 100];
        let lines = lines_of(&[&long[..], b"\nafter\n"].concat()).await;
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with(&"x".repeat(LINE_LIMIT)));
        assert!(lines[0].ends_with(&format!("({} more bytes)", LINE_LIMIT * 99)));
        assert_eq!(lines[1], "after");
    }

    #[test]
    fn starts_that_keep_coming_before_they_answer_wait_longer_each_time() {
        let start = Instant::now();
        let mut pace = Pace::default();
        let mut now = start;
        let mut pauses = Vec::new();
        for _ in 0..8 {
            if let Some(pause) = pace.before_start(now) {
                pauses.push(pause);
                now += pause;
            }
            pace.started(now);
            now += Duration::from_millis(10);
        }
        assert_eq!(
            pauses,
            [500, 1000, 2000, 4000, 8000]
                .map(Duration::from_millis)
                .to_vec()
        );
        assert_eq!(pace.quick_starts(), 8);
        // A calm backend starts at once again.
        assert_eq!(pace.before_start(now + Duration::from_secs(60)), None);

        // Saves every second, each start answering in between, never wait.
        let mut edited = Pace::default();
        let mut now = start;
        for _ in 0..10 {
            assert_eq!(edited.before_start(now), None);
            edited.started(now);
            edited.answered();
            now += Duration::from_secs(1);
        }
        // Nor do saves seconds apart that keep finding it failing.
        let mut failing = Pace::default();
        for n in 0..10 {
            let now = start + Duration::from_secs(3 * n);
            assert_eq!(failing.before_start(now), None);
            failing.started(now);
        }
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
