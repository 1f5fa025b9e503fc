//! Rulesets kept in the store: validated by core before they are stored,
//! and compiled from the store when ingest starts.

use battlescope_core::ruleset::{CompiledRuleset, Ruleset, RulesetFormat};

use crate::ports::store::{Store, StoreError, StoredRuleset};

/// A ruleset that core refuses, with core's message (it names the field).
#[derive(Debug, thiserror::Error)]
pub enum RulesetError {
    #[error("ruleset `{name}`: {source}")]
    Invalid {
        name: String,
        #[source]
        source: Box<battlescope_core::Error>,
    },
    #[error("ruleset `{name}`: unknown format `{format}` (expected json, yaml or toml)")]
    Format { name: String, format: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn parse(name: &str, format: &str, text: &str) -> Result<Ruleset, RulesetError> {
    let fmt: RulesetFormat = format.parse().map_err(|_| RulesetError::Format {
        name: name.to_owned(),
        format: format.to_owned(),
    })?;
    Ruleset::parse(text, fmt).map_err(|source| RulesetError::Invalid {
        name: name.to_owned(),
        source: Box::new(source),
    })
}

/// Validate a ruleset and store it (refused, naming the field, if core
/// refuses it: unknown fields included).
///
/// # Errors
/// [`RulesetError::Invalid`] or [`RulesetError::Format`]; the store's error.
pub async fn put(store: &dyn Store, ruleset: StoredRuleset) -> Result<(), RulesetError> {
    let parsed = parse(&ruleset.name, &ruleset.format, &ruleset.text)?;
    parsed.compile().map_err(|source| RulesetError::Invalid {
        name: ruleset.name.clone(),
        source: Box::new(source),
    })?;
    store.put_ruleset(&ruleset).await?;
    Ok(())
}

/// The active ruleset, compiled; `None` accepts everything.
///
/// # Errors
/// A stored ruleset that no longer parses (it names the field).
pub async fn active(store: &dyn Store) -> Result<Option<CompiledRuleset>, RulesetError> {
    let Some(stored) = store.active_ruleset().await? else {
        return Ok(None);
    };
    let parsed = parse(&stored.name, &stored.format, &stored.text)?;
    let compiled = parsed.compile().map_err(|source| RulesetError::Invalid {
        name: stored.name.clone(),
        source: Box::new(source),
    })?;
    Ok(Some(compiled))
}
