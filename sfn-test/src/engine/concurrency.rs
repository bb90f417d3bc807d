//! Deterministic concurrency for Parallel branches and Map iterations: children are polled in
//! index order, never by thread scheduling, so the same execution interleaves the same way on
//! every run.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::clock::{Clock, Others};

/// A boxed child future.
pub(crate) type Child<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Runs up to `limit` children at a time (0 = all), starting them in index order with `start`.
/// Each finished child's output goes to `done(index, output)`; `Break` stops the whole group
/// (the other children are dropped, which cancels them) and is returned.
pub(crate) async fn run_bounded<'a, T, B>(
    total: usize,
    limit: usize,
    mut start: impl FnMut(usize) -> Child<'a, T>,
    mut done: impl FnMut(usize, T) -> ControlFlow<B>,
) -> Option<B> {
    let limit = if limit == 0 { total } else { limit };
    // Finished children leave a `None` until the end of the pass: removing each from the
    // middle of the vector made a 1,000-iteration Map quadratic.
    let mut running: Vec<Option<(usize, Child<'a, T>)>> = Vec::new();
    let mut next = 0usize;
    poll_fn(move |cx: &mut Context<'_>| {
        loop {
            while running.len() < limit && next < total {
                running.push(Some((next, start(next))));
                next += 1;
            }
            if running.is_empty() {
                return Poll::Ready(None);
            }
            let mut finished_any = false;
            for i in 0..running.len() {
                let Some((index, child)) = &mut running[i] else {
                    continue;
                };
                if let Poll::Ready(out) = child.as_mut().poll(cx) {
                    let index = *index;
                    running[i] = None;
                    finished_any = true;
                    if let ControlFlow::Break(b) = done(index, out) {
                        running.clear();
                        return Poll::Ready(Some(b));
                    }
                }
            }
            running.retain(Option::is_some);
            if !finished_any {
                return Poll::Pending;
            }
        }
    })
    .await
}

/// Which of two futures finished first.
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls `a` then `b`; the first ready wins and the other is dropped.
pub(crate) async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        if let Poll::Ready(y) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(y));
        }
        Poll::Pending
    })
    .await
}

/// Wraps a future that waits on something outside the virtual world (a user's async handler),
/// counting it while it is pending so the driver does not move virtual time past it.
pub(crate) struct External<'c, F> {
    fut: Pin<Box<F>>,
    pending: &'c Cell<usize>,
    counted: bool,
    clock: &'c Clock,
    /// Held while the future waits on the outside world: no lone sleep moves time on then.
    others: Option<Others<'c>>,
}

impl<'c, F: Future> External<'c, F> {
    pub(crate) fn new(fut: F, pending: &'c Cell<usize>, clock: &'c Clock) -> Self {
        External {
            fut: Box::pin(fut),
            pending,
            counted: false,
            clock,
            others: None,
        }
    }
}

impl<F: Future> Future for External<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        match this.fut.as_mut().poll(cx) {
            Poll::Ready(v) => {
                if this.counted {
                    this.pending.set(this.pending.get() - 1);
                    this.counted = false;
                    this.others = None;
                }
                Poll::Ready(v)
            }
            Poll::Pending => {
                if !this.counted {
                    this.pending.set(this.pending.get() + 1);
                    this.counted = true;
                    this.others = Some(this.clock.others());
                }
                Poll::Pending
            }
        }
    }
}

impl<F> Drop for External<'_, F> {
    fn drop(&mut self) {
        if self.counted {
            self.pending.set(self.pending.get() - 1);
        }
    }
}
