//! Rulesets on the command line: loading `--ruleset FILE`, applying it to
//! what was read, and the table of rejections by rule printed on stderr.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use battlescope_core::ruleset::{CompiledRuleset, Decision, FilterStats, Rejection, Ruleset};
use battlescope_core::Killmail;

/// Read, validate and compile a ruleset file; the error names the file and
/// the offending field.
pub fn load(path: &Path) -> anyhow::Result<CompiledRuleset> {
    let ruleset =
        Ruleset::from_path(path).with_context(|| format!("{}: invalid ruleset", path.display()))?;
    Ok(ruleset.compile()?)
}

/// Keep the killmails the ruleset accepts (in order); count the decisions.
pub fn retain(rules: &CompiledRuleset, killmails: &mut Vec<Killmail>) -> FilterStats {
    rules.retain(killmails)
}

/// Decide every killmail: the accepted ones, and the rejected ones with why.
pub fn split<'a>(
    rules: &CompiledRuleset,
    killmails: &'a [Killmail],
) -> (
    Vec<&'a Killmail>,
    Vec<(&'a Killmail, Rejection)>,
    FilterStats,
) {
    let mut stats = FilterStats::default();
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for km in killmails {
        let decision = rules.evaluate(km);
        stats.record(&decision);
        match decision {
            Decision::Accept => accepted.push(km),
            Decision::Reject(r) => rejected.push((km, r)),
        }
    }
    (accepted, rejected, stats)
}

/// The table of decisions by rule (evaluation order), then accepted and
/// total.
pub fn write_table(mut out: impl Write, stats: &FilterStats) -> std::io::Result<()> {
    let total = stats.total();
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            // Counts of killmails are far below 2^52: exact as f64.
            100.0 * n as f64 / total as f64
        }
    };
    let rows = stats.by_rule();
    let width = rows
        .iter()
        .map(|(rule, _)| rule.len())
        .chain([10])
        .max()
        .unwrap_or(10);
    writeln!(out, "{:<width$}  {:>9}  {:>6}", "rule", "rejected", "share")?;
    for (rule, n) in &rows {
        writeln!(out, "{rule:<width$}  {n:>9}  {:>5.1}%", share(*n))?;
    }
    writeln!(
        out,
        "{:<width$}  {:>9}  {:>5.1}%",
        "(accepted)",
        stats.accepted,
        share(stats.accepted)
    )?;
    writeln!(out, "{:<width$}  {total:>9}", "(total)")?;
    Ok(())
}
