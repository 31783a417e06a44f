//! The pool where hotplate's slow work runs: parsing scripts, rendering templates, rewriting
//! documents, and the pipeline's batches. The async workers only wait for it.
//!
//! 1. [`run`] hands a job to the pool and resolves when it is done; a job that panics panics
//!    again in the caller, as if it had run there.
//! 2. The pool's threads have a [`STACK`] of their own, far beyond the 2 MiB of a tokio worker:
//!    oxc parses and visits recursively, and deeply nested input (checked first by
//!    [`crate::rewrite::nesting`]) must not overflow it, which would abort the process.
//! 3. Threads are started as jobs need them, up to [`MAX_THREADS`]; jobs beyond that wait in
//!    order. A stack is reserved address space: only the pages a deep parse touches cost memory.
//! 4. [`on_big_stack`] runs a function on a pool thread from synchronous code (at once when
//!    already on one), so that code which may be handed deep input is safe wherever it is
//!    called.
//! 5. A [`Lane`] is one thread of the same kind that belongs to one user (the pipeline): its
//!    jobs never queue behind the pool's, however busy requests keep the pool.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

/// The stack of each pool thread.
pub const STACK: usize = 256 << 20;

/// The most threads the pool starts.
pub const MAX_THREADS: usize = 32;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    /// Threads whose job has handed over its result and that are on their way back for the
    /// next: a job submitted in that moment (the next step of the same request, typically)
    /// waits for one of them rather than starting a thread of its own.
    finishing: usize,
}

struct Pool {
    queue: Mutex<Queue>,
    ready: Condvar,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    queue: Mutex::new(Queue::default()),
    ready: Condvar::new(),
});

thread_local! {
    static IN_POOL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `job` on the pool and waits for it without holding up an async worker.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = tokio::sync::oneshot::channel();
    submit(Box::new(move || {
        let outcome = catch_unwind(AssertUnwindSafe(job));
        finishing();
        let _ = done.send(outcome);
    }));
    match result.await {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => panic!("a pool job was dropped before it ran"),
    }
}

/// Runs `job` on a thread with the pool's large stack, blocking the calling thread until it is
/// done. On a pool thread it runs at once.
pub fn on_big_stack<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    if IN_POOL.get() {
        return job();
    }
    let (done, result) = std::sync::mpsc::sync_channel(1);
    submit(Box::new(move || {
        let outcome = catch_unwind(AssertUnwindSafe(job));
        finishing();
        let _ = done.send(outcome);
    }));
    match result.recv() {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => panic!("a pool job was dropped before it ran"),
    }
}

/// A thread of its own with the pool's stack, for work that must never wait behind the pool
/// (the pipeline's batches). Jobs run one at a time, in order; the thread ends with the lane.
pub struct Lane {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Lane {
    /// Starts the lane's thread, named `name`.
    pub fn new(name: &str) -> std::io::Result<Lane> {
        let (jobs, arriving) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name(name.into())
            .stack_size(STACK)
            .spawn(move || {
                IN_POOL.set(true);
                for job in arriving {
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })?;
        Ok(Lane { jobs })
    }

    /// Runs `job` on the lane and waits for it without holding up an async worker; a job that
    /// panics panics again here.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = tokio::sync::oneshot::channel();
        let sent = self.jobs.send(Box::new(move || {
            let _ = done.send(catch_unwind(AssertUnwindSafe(job)));
        }));
        assert!(sent.is_ok(), "a lane's thread is gone");
        match result.await {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => panic!("a lane job was dropped before it ran"),
        }
    }
}

fn submit(job: Job) {
    let pool = &*POOL;
    let mut queue = pool.queue.lock().unwrap_or_else(PoisonError::into_inner);
    queue.jobs.push_back(job);
    if queue.jobs.len() <= queue.idle + queue.finishing || queue.threads >= MAX_THREADS {
        pool.ready.notify_one();
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("hotplate-pool".into())
        .stack_size(STACK)
        .spawn(work);
    match spawned {
        Ok(_) => queue.threads += 1,
        // The jobs wait for a thread that exists; with none at all, nothing could run them.
        Err(err) if queue.threads > 0 => {
            tracing::warn!("cannot start another worker thread: {err}");
            pool.ready.notify_one();
        }
        Err(err) => panic!("cannot start a worker thread with a {STACK}-byte stack: {err}"),
    }
}

/// Called by every job just before it hands over its result (see [`Queue::finishing`]).
fn finishing() {
    let mut queue = POOL.queue.lock().unwrap_or_else(PoisonError::into_inner);
    queue.finishing += 1;
}

fn work() {
    IN_POOL.set(true);
    let pool = &*POOL;
    let mut finished = false;
    loop {
        let job = {
            let mut queue = pool.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if finished {
                queue.finishing = queue.finishing.saturating_sub(1);
            }
            loop {
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                queue.idle += 1;
                queue = pool
                    .ready
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
                queue.idle -= 1;
            }
        };
        let _ = catch_unwind(AssertUnwindSafe(job));
        finished = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recurses `depth` times with a frame of about 1 KiB each; returns `depth`.
    fn deep(depth: usize) -> usize {
        let frame = std::hint::black_box([1u8; 1024]);
        if depth == 0 {
            0
        } else {
            deep(depth - 1) + frame[depth % 1024] as usize
        }
    }

    #[test]
    fn jobs_run_on_a_stack_far_larger_than_a_default_thread() {
        // ~64 MiB of stack: 32 times what a tokio worker or a test thread has.
        assert_eq!(on_big_stack(|| deep(64 * 1024)), 64 * 1024);
    }

    #[tokio::test]
    async fn async_callers_wait_for_the_result_and_see_panics() {
        assert_eq!(run(|| 6 * 7).await, 42);
        let panicked = tokio::spawn(run(|| panic!("boom"))).await;
        assert!(panicked.is_err());
        // The pool survives a panicking job.
        assert_eq!(run(|| 1).await, 1);
    }

    #[tokio::test]
    async fn a_lane_runs_while_every_pool_thread_is_taken() {
        // Every pool thread blocked, and more jobs queued behind them.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = std::sync::Arc::new(Mutex::new(held));
        let blocked: Vec<_> = (0..MAX_THREADS * 2)
            .map(|_| {
                let held = held.clone();
                tokio::spawn(run(move || {
                    let _ = held.lock().unwrap().recv();
                }))
            })
            .collect();
        let lane = Lane::new("test-lane").unwrap();
        let ran = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            lane.run(|| on_big_stack(|| deep(16 * 1024))),
        )
        .await;
        for _ in 0..MAX_THREADS * 2 {
            let _ = release.send(());
        }
        assert_eq!(ran.expect("the lane waited behind the pool"), 16 * 1024);
        for job in blocked {
            job.await.unwrap();
        }
    }

    #[test]
    fn a_job_on_a_pool_thread_runs_its_nested_work_at_once() {
        assert_eq!(on_big_stack(|| on_big_stack(|| 7)), 7);
    }
}
