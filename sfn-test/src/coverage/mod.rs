//! Coverage of state machines by a test suite: which states were entered, which transitions
//! and Choice rules were taken, which retriers and catchers fired. Each execution yields a
//! [`Coverage`]; with `SFN_TEST_COVERAGE=1` every execution is also appended to a file under
//! `target/sfn-test/coverage/` (or `SFN_TEST_COVERAGE_DIR`), so the records of every test
//! process (and of every CI shard) can be merged by [`load`] and reported as text, JSON or lcov.
//! It knows nothing of how the tests were written.

mod record;
mod report;

pub(crate) use record::record_execution;
pub use record::{Coverage, Visited, append, load};
pub use report::Totals;
