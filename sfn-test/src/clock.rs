//! The one module that owns time.
//!
//! Every execution runs on a virtual clock that starts at a fixed instant (by default
//! `2024-01-01T00:00:00Z`) and only moves when every branch of the execution is waiting on a
//! timer: then it jumps to the earliest one. Wait states, `TimeoutSeconds`, `HeartbeatSeconds`,
//! retry back-off and mock latency all run on it, so a one-year Wait costs microseconds.
//! Nothing here reads the wall clock.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Milliseconds since the Unix epoch, on the virtual clock.
pub type Millis = i64;

/// The instant every execution starts at unless a scenario says otherwise.
pub const DEFAULT_START: Millis = 1_704_067_200_000; // 2024-01-01T00:00:00Z

#[derive(Debug)]
struct ClockState {
    now: Millis,
    next_seq: u64,
    timers: Timers,
    /// Futures of the execution that run beside each other (Parallel branches, Map
    /// iterations) or wait on the outside world (async mocks, child executions): while there
    /// are any, only the driver moves time on, once all of them wait.
    others: usize,
}

/// The pending timers, `(due, sequence number)`, in order: the earliest apart (most
/// executions only ever have one, their deadline, and then need no allocation), the others in
/// a sorted ring buffer. Timers are mostly added after every other one and fire from the
/// front, and either end moves in constant time (a Map whose thousand iterations wait at once
/// adds and fires them so).
#[derive(Debug, Default)]
struct Timers {
    first: Option<(Millis, u64)>,
    rest: std::collections::VecDeque<(Millis, u64)>,
}

impl Timers {
    fn insert(&mut self, key: (Millis, u64)) {
        match self.first {
            None => self.first = Some(key),
            Some(first) if key < first => {
                self.rest.push_front(first);
                self.first = Some(key);
            }
            Some(_) => {
                let at = self.rest.partition_point(|t| *t < key);
                self.rest.insert(at, key);
            }
        }
    }

    fn remove(&mut self, key: &(Millis, u64)) {
        if self.first.as_ref() == Some(key) {
            self.first = self.rest.pop_front();
        } else if let Ok(at) = self.rest.binary_search(key) {
            self.rest.remove(at);
        }
    }

    fn first(&self) -> Option<&(Millis, u64)> {
        self.first.as_ref()
    }
}

/// A virtual clock shared by everything one execution runs: its sleeps borrow it.
#[derive(Debug)]
pub(crate) struct Clock {
    state: RefCell<ClockState>,
}

impl Clock {
    pub(crate) fn new(start: Millis) -> Self {
        Clock {
            state: RefCell::new(ClockState {
                now: start,
                next_seq: 0,
                timers: Timers::default(),
                others: 0,
            }),
        }
    }

    pub(crate) fn now(&self) -> Millis {
        self.state.borrow().now
    }

    /// A future that completes once virtual time reaches `due`.
    pub(crate) fn sleep_until(&self, due: Millis) -> Sleep<'_> {
        let mut state = self.state.borrow_mut();
        let seq = state.next_seq;
        state.next_seq += 1;
        let registered = due > state.now;
        if registered {
            state.timers.insert((due, seq));
        }
        Sleep {
            clock: self,
            key: (due, seq),
            registered,
        }
    }

    /// A sleep that is awaited at once with nothing raced against it (a Wait state, a retry's
    /// back-off). When nothing runs beside it and no timer is due before it, it is the next
    /// thing the driver would wake: the clock moves on now, and no timer is kept.
    pub(crate) fn pause_until(&self, due: Millis) -> Sleep<'_> {
        {
            let mut state = self.state.borrow_mut();
            if state.others == 0 && due > state.now && state.timers.first().is_none_or(|t| t.0 >= due) {
                let seq = state.next_seq;
                state.next_seq += 1;
                state.now = due;
                return Sleep {
                    clock: self,
                    key: (due, seq),
                    registered: false,
                };
            }
        }
        self.sleep_until(due)
    }

    /// [`pause_until`](Clock::pause_until) `duration` from now.
    pub(crate) fn pause(&self, duration: Duration) -> Sleep<'_> {
        let due = self.now().saturating_add(duration_millis(duration));
        self.pause_until(due)
    }

    pub(crate) fn sleep(&self, duration: Duration) -> Sleep<'_> {
        let due = self.now().saturating_add(duration_millis(duration));
        self.sleep_until(due)
    }

    /// Moves time forward to the earliest pending timer. Returns false when there is none
    /// ahead of now (every timer that is due has already been polled to completion).
    /// Marks a stretch in which other futures may run beside the one polling a sleep, until the
    /// guard is dropped.
    pub(crate) fn others(&self) -> Others<'_> {
        self.state.borrow_mut().others += 1;
        Others(self)
    }

    pub(crate) fn advance(&self) -> bool {
        let mut state = self.state.borrow_mut();
        match state.timers.first() {
            Some(&(due, _)) if due > state.now => {
                state.now = due;
                true
            }
            _ => false,
        }
    }
}

/// Converts a duration to whole virtual milliseconds, saturating.
pub(crate) fn duration_millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)
}

/// A pending virtual timer; dropping it cancels the timer.
/// See [`Clock::others`].
#[derive(Debug)]
pub(crate) struct Others<'c>(&'c Clock);

impl Drop for Others<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.try_borrow_mut() {
            state.others -= 1;
        }
    }
}

#[derive(Debug)]
pub(crate) struct Sleep<'c> {
    clock: &'c Clock,
    key: (Millis, u64),
    registered: bool,
}

impl Future for Sleep<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let key = self.key;
        let mut state = self.clock.state.borrow_mut();
        if state.now < key.0 {
            // Alone, and with no timer due before it, this sleep is what the driver would wake
            // next (with any others due at the same instant, in the order they are polled):
            // time moves on here, without unwinding to the driver and polling back down.
            let alone = state.others == 0 && self.registered && state.timers.first().map(|t| t.0) == Some(key.0);
            if !alone {
                // The execution driver re-polls every waiting branch after it advances the
                // clock, so no waker needs to be kept here.
                return Poll::Pending;
            }
            state.now = key.0;
        }
        if self.registered {
            state.timers.remove(&key);
            drop(state);
            self.registered = false;
        }
        Poll::Ready(())
    }
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        if self.registered
            && let Ok(mut state) = self.clock.state.try_borrow_mut()
        {
            state.timers.remove(&self.key);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps: RFC 3339 formatting and parsing on the proleptic Gregorian calendar.

const MS_PER_DAY: i64 = 86_400_000;

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats an instant as AWS does in the context object and histories:
/// `2024-01-01T00:00:00.000Z`.
pub fn format_timestamp(ms: Millis) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Parses an RFC 3339 timestamp as the Wait state and the `Timestamp*` Choice operators accept
/// it: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` with an upper-case `T` and `Z`.
/// Returns `None` for anything else.
pub fn parse_timestamp(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, c| Some(acc * 10 + i64::from(c - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start {
            return None;
        }
        let frac = &text[start..end.min(start + 3)];
        millis = frac.parse::<i64>().ok()? * 10i64.pow(3 - u32::try_from(frac.len()).ok()?);
        i = end;
    }
    let offset_min = match b.get(i)? {
        b'Z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if b.len() == i + 6 && b[i + 3] == b':' => {
            let (oh, om) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * MS_PER_DAY + ((hour * 60 + minute - offset_min) * 60 + second.min(59)) * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_start_is_2024() {
        assert_eq!(format_timestamp(DEFAULT_START), "2024-01-01T00:00:00.000Z");
        assert_eq!(parse_timestamp("2024-01-01T00:00:00Z"), Some(DEFAULT_START));
    }

    #[test]
    fn parses_offsets_and_fractions() {
        assert_eq!(
            parse_timestamp("2024-01-01T01:00:00.5+01:00"),
            Some(DEFAULT_START + 500)
        );
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00Z").map(format_timestamp).as_deref(),
            Some("2016-03-14T01:59:00.000Z")
        );
        assert_eq!(parse_timestamp("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2024-01-01t00:00:00Z"), None);
        assert_eq!(parse_timestamp("2024-01-01T00:00:00"), None);
        assert_eq!(parse_timestamp("not a time"), None);
    }

    #[test]
    fn round_trips_across_centuries() {
        for ms in [0, DEFAULT_START, 4_102_444_800_000, -86_400_000] {
            assert_eq!(parse_timestamp(&format_timestamp(ms)), Some(ms));
        }
    }

    #[test]
    fn timers_fire_in_due_order() {
        let clock = Clock::new(0);
        let late = clock.sleep(Duration::from_secs(10));
        let early = clock.sleep(Duration::from_secs(2));
        assert!(clock.advance());
        assert_eq!(clock.now(), 2000);
        drop(early);
        assert!(clock.advance());
        assert_eq!(clock.now(), 10_000);
        drop(late);
        assert!(!clock.advance());
    }

    #[test]
    fn timers_stay_in_order_whichever_end_they_are_added_or_removed_at() {
        let mut timers = Timers::default();
        for key in [(5, 0), (1, 1), (5, 2), (3, 3), (9, 4), (1, 5)] {
            timers.insert(key);
        }
        let all = |t: &Timers| t.first.iter().chain(&t.rest).copied().collect::<Vec<_>>();
        assert_eq!(all(&timers), [(1, 1), (1, 5), (3, 3), (5, 0), (5, 2), (9, 4)]);
        timers.remove(&(3, 3));
        timers.remove(&(1, 1));
        timers.remove(&(9, 4));
        // Not pending (already removed): nothing changes.
        timers.remove(&(3, 3));
        assert_eq!(all(&timers), [(1, 5), (5, 0), (5, 2)]);
        assert_eq!(timers.first(), Some(&(1, 5)));
        for key in [(1, 5), (5, 0), (5, 2)] {
            timers.remove(&key);
        }
        assert_eq!(timers.first(), None);
        timers.insert((7, 6));
        assert_eq!(all(&timers), [(7, 6)]);
    }

    fn poll(sleep: &mut Sleep<'_>) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[test]
    fn a_lone_sleep_moves_time_on_itself_unless_others_run() {
        let clock = Clock::new(0);
        let _deadline = clock.sleep_until(5_000);
        // Alone and due first: ready at once, the clock at its due time.
        let mut first = clock.sleep_until(1_000);
        assert_eq!(poll(&mut first), Poll::Ready(()));
        assert_eq!(clock.now(), 1_000);
        // A timer due earlier is the driver's to wake first.
        let mut later = clock.sleep_until(3_000);
        let _earlier = clock.sleep_until(2_000);
        assert_eq!(poll(&mut later), Poll::Pending);
        assert_eq!(clock.now(), 1_000);
        // With branches beside it, only the driver moves time.
        let mut tie = clock.sleep_until(2_000);
        let others = clock.others();
        assert_eq!(poll(&mut tie), Poll::Pending);
        drop(others);
        // Due with another at the same instant: the one polled first goes first.
        assert_eq!(poll(&mut tie), Poll::Ready(()));
        assert_eq!(clock.now(), 2_000);
    }

    #[test]
    fn a_pause_alone_moves_time_at_once_and_keeps_no_timer() {
        let clock = Clock::new(0);
        let deadline = clock.sleep_until(5_000);
        let mut pause = clock.pause_until(5_000);
        assert_eq!(clock.now(), 5_000);
        assert_eq!(poll(&mut pause), Poll::Ready(()));
        drop(deadline);
        assert!(!clock.advance());
        // Past a timer due earlier, or beside other branches, it is an ordinary sleep.
        let _early = clock.sleep_until(6_000);
        let mut late = clock.pause_until(7_000);
        assert_eq!((clock.now(), poll(&mut late)), (5_000, Poll::Pending));
        let others = clock.others();
        let mut beside = clock.pause_until(5_500);
        assert_eq!((clock.now(), poll(&mut beside)), (5_000, Poll::Pending));
        drop(others);
    }
}
