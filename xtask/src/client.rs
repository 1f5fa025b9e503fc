//! The Rust client types: typify over the schema bundle, formatted like the
//! rest of the workspace.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use typify::{TypeSpace, TypeSpaceSettings};

use crate::schemas::GENERATED_BY;

/// Where the generated module lives, relative to the repository root.
pub const GENERATED_RS: &str = "crates/battlescope-client/src/generated.rs";

/// Rust source of every type of `bundle` (see [`crate::schemas::bundle`]).
pub fn generate(root: &Path, bundle: &Value) -> Result<String> {
    let definitions = bundle
        .get("$defs")
        .and_then(Value::as_object)
        .context("the bundle has no $defs")?;
    let mut defs = Vec::with_capacity(definitions.len());
    // The union of all events is the client's own `Event` (with its
    // decoder): typify makes none, and types holding an event (the
    // WebSocket's messages) use the client's.
    for (name, schema) in definitions {
        let schema: schemars08::schema::Schema = serde_json::from_value(schema.clone())
            .with_context(|| format!("schema {name} is not a schema typify reads"))?;
        defs.push((name.clone(), schema));
    }
    let mut settings = TypeSpaceSettings::default();
    settings
        .with_struct_builder(false)
        .with_derive("PartialEq".to_owned())
        .with_map_type("::std::collections::BTreeMap")
        .with_replacement("Event", "crate::Event", std::iter::empty());
    let mut space = TypeSpace::new(&settings);
    space
        .add_ref_types(defs)
        .map_err(|e| anyhow::anyhow!("typify: {e}"))?;
    let file: syn::File = syn::parse2(space.to_stream()).context("typify's output is not Rust")?;
    let body = prettyplease::unparse(&file);
    let source = format!(
        "//! Event and document types generated from `schemas/*.schema.json` by typify.\n\
         //!\n\
         //! {GENERATED_BY}; do not edit.\n\
         #![allow(clippy::all, clippy::pedantic, missing_docs)]\n\n{body}"
    );
    rustfmt(root, &source)
}

/// Format like `cargo fmt` does, so the checked-in file stays as generated.
fn rustfmt(root: &Path, source: &str) -> Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--config-path"])
        .arg(root.join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt")?;
    child
        .stdin
        .take()
        .context("rustfmt stdin")?
        .write_all(source.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("rustfmt failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8(out.stdout).context("rustfmt output is not UTF-8")
}
