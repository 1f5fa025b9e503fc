//! The TypeScript types: json-schema-to-typescript (pinned in
//! `schemas/ts/package.json` and its lockfile) over the schema bundle.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _, Result};
use serde_json::Value;

use crate::schemas::{pretty, GENERATED_BY};

/// Where the declarations live, relative to the repository root.
pub const INDEX_D_TS: &str = "schemas/ts/index.d.ts";

/// `index.d.ts` for `bundle` (see [`crate::schemas::bundle`]).
pub fn generate(root: &Path, bundle: &Value) -> Result<String> {
    let ts = root.join("schemas/ts");
    let status = Command::new("bash")
        .arg(ts.join("install"))
        .status()
        .context("running schemas/ts/install (needs bash, node and npm)")?;
    if !status.success() {
        bail!("schemas/ts/install failed");
    }
    let work = tempfile::tempdir()?;
    let input = work.path().join("bundle.json");
    let output = work.path().join("index.d.ts");
    std::fs::write(&input, pretty(bundle))?;
    let banner = format!(
        "/**\n * TypeScript types of the BattleScope events and documents, from the JSON\n * \
         Schemas in schemas/ by json-schema-to-typescript.\n *\n * {GENERATED_BY}; do not edit.\n */"
    );
    let status = Command::new("node")
        .arg(ts.join("generate.cjs"))
        .arg(&input)
        .arg(&output)
        .arg(banner)
        .status()
        .context("running node schemas/ts/generate.cjs")?;
    if !status.success() {
        bail!("schemas/ts/generate.cjs failed");
    }
    std::fs::read_to_string(&output).context("reading the generated index.d.ts")
}
