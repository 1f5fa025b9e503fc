//! Writing battles: a JSON array of battle documents (with their kills),
//! JSON Lines of the same, or CSV with one row per battle.

use std::collections::HashMap;
use std::io::Write;

use battlescope_core::battle::KillSummary;
use battlescope_core::{Battle, Killmail};
use clap::ValueEnum;
use serde::Serialize;

/// Output formats of `battlescope cluster`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    /// A JSON array of battle documents with kills, sides and statistics.
    Json,
    /// One battle document per line.
    Jsonl,
    /// One row per battle.
    Csv,
}

/// A battle document as the CLI prints it: the battle plus its kills.
#[derive(Serialize)]
struct BattleReport<'a> {
    #[serde(flatten)]
    battle: &'a Battle,
    kills: Vec<KillSummary>,
}

pub fn write_battles(
    mut out: impl Write,
    battles: &[Battle],
    killmails: &[Killmail],
    format: OutputFormat,
) -> anyhow::Result<()> {
    let by_id: HashMap<u64, &Killmail> = killmails.iter().map(|k| (k.killmail_id, k)).collect();
    let reports = battles.iter().map(|battle| BattleReport {
        battle,
        kills: battle
            .killmail_ids
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|k| KillSummary::of(k))
            .collect(),
    });
    match format {
        OutputFormat::Json => {
            let all: Vec<BattleReport<'_>> = reports.collect();
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        OutputFormat::Jsonl => {
            for r in reports {
                serde_json::to_writer(&mut out, &r)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Csv => write_csv(&mut out, battles)?,
    }
    out.flush()?;
    Ok(())
}

fn write_csv(out: &mut impl Write, battles: &[Battle]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "system_id",
        "system_name",
        "region_name",
        "security_class",
        "start_time",
        "end_time",
        "duration_seconds",
        "kills",
        "isk_destroyed",
        "kills_without_value",
        "unique_pilots",
        "sides",
        "zkillboard_url",
    ])?;
    for b in battles {
        w.write_record([
            b.id.to_string(),
            b.system_id.to_string(),
            b.system_name.clone().unwrap_or_default(),
            b.region_name.clone().unwrap_or_default(),
            b.security_class.map(|s| s.to_string()).unwrap_or_default(),
            b.start_time.to_rfc3339(),
            b.end_time.to_rfc3339(),
            b.duration_seconds.to_string(),
            b.stats.kill_count.to_string(),
            format!("{:.2}", b.stats.isk_destroyed),
            b.stats.kills_without_value.to_string(),
            b.stats.unique_pilots.to_string(),
            b.sides.len().to_string(),
            b.zkillboard_url.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
