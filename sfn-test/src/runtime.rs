//! The async runtime that drives executions for the blocking API: one current-thread tokio
//! runtime per test thread, reused across executions.

use std::future::Future;
use std::task::{Context, Poll, Waker};

thread_local! {
    static RUNTIME: std::cell::OnceCell<tokio::runtime::Runtime> = const { std::cell::OnceCell::new() };
}

/// Runs a future to completion on this thread's runtime.
///
/// # Panics
/// When called inside another async runtime (the blocking API checks for that first), or when
/// the runtime cannot be built (out of resources).
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    block_on_made(|| fut)
}

/// [`block_on`] of the future `make` returns, which is made where it is pinned: an execution's
/// future is kilobytes, and moving it into place cost as much as a short state.
pub(crate) fn block_on_made<F: Future>(make: impl FnOnce() -> F) -> F::Output {
    let mut fut = std::pin::pin!(make());
    RUNTIME.with(|cell| {
        let rt = cell.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime needs no resources beyond a thread-local")
        });
        // Most executions end in their first poll: the clock is virtual and mocks answer at
        // once. That poll runs in the runtime's context (a handler may use tokio) but without
        // `block_on`'s scheduler; only a future still waiting on something real goes on to it,
        // which polls it again at once.
        {
            let _context = rt.enter();
            if let Poll::Ready(output) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                return output;
            }
        }
        rt.block_on(fut.as_mut())
    })
}
