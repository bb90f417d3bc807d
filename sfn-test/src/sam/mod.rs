//! Reads AWS SAM / CloudFormation templates: YAML short tags (`!Sub`, `!GetAtt`, ...), `Globals`,
//! `Parameters` (defaults and overrides), pseudo parameters, `Conditions`, `Mappings`, the
//! `Fn::*` intrinsics, `AWS::Include`, and the state machine properties (`Definition`,
//! `DefinitionUri`, `DefinitionString`, `DefinitionSubstitutions`, `Events`, `Policies`), and
//! produces one [`StateMachineSpec`] per state machine: the ASL definition as JSON plus the
//! synthetic identifiers that map each Task's resource back to its logical id. It knows nothing
//! of the engine: it does not parse, validate or run ASL.

mod document;
mod error;
mod events;
mod files;
mod globals;
mod include;
mod intrinsics;
mod permissions;
mod resources;
mod state_machine;
mod substitution;
mod template;

pub use error::SamError;
pub use permissions::{Access, Permissions};
pub use state_machine::{StateMachineSpec, WorkflowType};
pub use template::{Parameter, Template};
