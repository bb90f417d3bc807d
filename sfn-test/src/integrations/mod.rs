//! Task integrations: the `Resource` ARN model and the mocks that answer Task calls. It knows
//! nothing of how a test was written.

pub(crate) mod mock;
mod mock_config;
mod resource;

pub use mock::{Mock, MockTaskHandler, TaskCall, TaskError, TaskHandler, TaskResult};
pub use mock_config::MockConfig;
pub use resource::{Pattern, Resource};

/// True when `value` contains `subset`: objects by key, recursively; everything else equal.
pub fn contains_subset(value: &serde_json::Value, subset: &serde_json::Value) -> bool {
    mock::contains(value, subset)
}
