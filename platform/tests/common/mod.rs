//! Helpers shared by the `backend_*` smoke tests.
//!
//! These tests need the real services (`deploy/local/services up`, or
//! `scripts/test-backends`, which starts and stops them). They read the
//! connection settings from the environment printed by
//! `deploy/local/services env` and fail — never skip — when a setting is
//! missing or the service does not answer.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The value of environment variable `name`; panics with instructions when unset.
pub fn require_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => panic!(
            "environment variable {name} is not set: these tests need the real services. \
             Run `scripts/test-backends`, or `deploy/local/services up` and \
             `eval \"$(deploy/local/services env)\"` before `cargo test --features backends`."
        ),
    }
}

/// A name no earlier run used: `prefix_<pid>_<nanoseconds>` (lower case, `[a-z0-9_]`).
pub fn unique_name(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock before 1970")
        .as_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// Runs `fut`, panicking with `what` if it takes longer than `limit`, so a
/// missing or stuck service fails the test instead of hanging it.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

#[cfg(feature = "backends")]
pub mod platform;
