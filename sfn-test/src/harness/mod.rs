//! The Rust API tests use: load a [`StateMachine`], build a [`Scenario`], run it, and assert on
//! the [`Execution`]. It knows nothing of table files.

mod execution;
mod permissions;
mod scenario;
mod state_machine;

pub use execution::Execution;
pub use permissions::{Need, PermissionFinding, PermissionReport};
pub use scenario::{HISTORY_LIMIT, Scenario};
pub use state_machine::StateMachine;
pub(crate) use state_machine::resolve;
