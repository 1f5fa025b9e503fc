//! Repository tasks.
//!
//! - `cargo run -p xtask -- schemas` regenerates the event contract:
//!   `schemas/*.schema.json`, the example events under `schemas/examples/`,
//!   the client's `generated.rs` and `schemas/ts/index.d.ts`.
//! - `cargo run -p xtask -- schemas --check` regenerates into a temporary
//!   directory and fails with a diff when a committed file is out of date
//!   (what CI runs).

mod client;
mod examples;
mod schemas;
mod typescript;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo run -p xtask -- schemas [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository root")
        .to_path_buf();
    let result = match args.as_slice() {
        ["schemas"] => schemas::write(&root),
        ["schemas", "--check"] => schemas::check(&root),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
