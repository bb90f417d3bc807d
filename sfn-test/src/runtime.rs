//! The async runtime that drives executions for the blocking API: one current-thread tokio
//! runtime per test thread, reused across executions.

use std::future::Future;

thread_local! {
    static RUNTIME: std::cell::OnceCell<tokio::runtime::Runtime> = const { std::cell::OnceCell::new() };
}

/// Runs a future to completion on this thread's runtime.
///
/// # Panics
/// When called inside another async runtime (the blocking API checks for that first), or when
/// the runtime cannot be built (out of resources).
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    RUNTIME.with(|cell| {
        let rt = cell.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime needs no resources beyond a thread-local")
        });
        rt.block_on(fut)
    })
}
