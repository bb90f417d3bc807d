//! Runs a definition: the eight state types, the JSONPath and JSONata input/output chains,
//! Retry/Catch, Parallel and Map on a deterministic scheduler, Task calls answered by mocks,
//! history events shaped like AWS's, all on the virtual clock. It knows nothing of templates,
//! files or assertions.

mod choice;
mod concurrency;
mod data;
mod history;
mod run;
mod s3;

pub use history::Event;
pub use run::{CallRecord, Status, Visits};
pub(crate) use run::{ChildMachine, Outcome, PendingCall, RunConfig, TaskCache, execute, role_arn};
pub use s3::S3Object;
pub(crate) use s3::S3Objects;
