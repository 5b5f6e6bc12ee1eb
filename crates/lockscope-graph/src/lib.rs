#![doc = include_str!("../README.md")]

pub mod apply;
pub mod client;
pub mod collect;
pub mod error;
#[cfg(feature = "mock")]
pub mod mock;
pub mod plan;

pub use client::{Auth, Client, Config, RecordingSleeper, RetryPolicy, Secret, Sleeper, ThreadSleeper};
pub use error::GraphError;
pub use plan::{Plan, plan_hash, plan_hash_of_text};
