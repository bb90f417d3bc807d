//! End-to-end tests of sfn-test: one test binary, one module per area.

mod cli;
mod coverage;
mod distributed_map;
mod engine;
mod errors;
mod jsonata;
mod mock_config;
mod mocks;
mod nested;
mod robustness;
mod tables;
mod templates;
