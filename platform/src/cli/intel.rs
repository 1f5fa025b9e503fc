//! `battlescope intel`: killmail files in, battle intel on one alliance,
//! corporation or character out (JSON, or a readable table).

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use battlescope_core::input::{Format, ReadOptions};
use battlescope_core::intel::{
    analyze, DoctrineConfig, DoctrineScope, Entity, IntelConfig, IntelReport, PlaceActivity,
};
use battlescope_core::{cluster, ClusterConfig};
use clap::{ArgGroup, Args, ValueEnum};

use super::filter::parse_format;
use super::inputs::{expand, print_read_summary, read_all};
use super::rules;

/// Options of `battlescope intel`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("entity").required(true).args(["alliance", "corporation", "character"])))]
pub struct IntelArgs {
    /// Killmail files or directories (directories are searched for .json,
    /// .jsonl, .ndjson and .tar.bz2 files).
    #[arg(required = true)]
    files: Vec<PathBuf>,

    /// Report on this alliance id.
    #[arg(long, value_name = "ID")]
    alliance: Option<u64>,

    /// Report on this corporation id.
    #[arg(long, value_name = "ID")]
    corporation: Option<u64>,

    /// Report on this character id.
    #[arg(long, value_name = "ID")]
    character: Option<u64>,

    /// Keep only the killmails this ruleset accepts before clustering.
    #[arg(long, value_name = "FILE")]
    ruleset: Option<PathBuf>,

    /// Input format: auto, json, jsonl, archive, esi, r2z2, redisq, zkb-api,
    /// or container+shape such as jsonl+r2z2.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    input_format: Format,

    /// Fewest kills a battle has (other clustering options are the
    /// defaults of `battlescope cluster`).
    #[arg(long, default_value_t = 2)]
    min_kills: u32,

    /// Whose ships make up a battle's fleet for doctrine detection.
    #[arg(long, value_enum, default_value_t = Scope::Side)]
    doctrine_scope: Scope,

    /// Least similarity (0 to 1) for a fleet to count as a doctrine's.
    #[arg(long, default_value_t = 0.7, value_parser = unit_interval)]
    doctrine_similarity: f64,

    /// Fewest pilots in a fleet for doctrine detection to look at it.
    #[arg(long, default_value_t = 5)]
    doctrine_min_fleet: u32,

    /// Fewest battles a doctrine is flown in.
    #[arg(long, default_value_t = 2)]
    doctrine_min_battles: u32,

    /// Output format.
    #[arg(long, value_enum, default_value_t = IntelFormat::Json)]
    format: IntelFormat,

    /// Rows per section of the table.
    #[arg(long, default_value_t = 10)]
    top: usize,

    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,

    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scope {
    /// Everybody on the entity's side.
    Side,
    /// The entity's own pilots.
    Entity,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum IntelFormat {
    /// The report as one JSON document.
    Json,
    /// Readable tables.
    Table,
}

fn unit_interval(s: &str) -> Result<f64, String> {
    // Core's rule (one place), the flag's text in the message.
    s.parse::<f64>()
        .ok()
        .and_then(|x| battlescope_core::intel::check_similarity(x).ok())
        .ok_or_else(|| format!("`{s}` is not a number from 0 to 1"))
}

pub fn run(args: &IntelArgs) -> anyhow::Result<ExitCode> {
    let entity = match (args.alliance, args.corporation, args.character) {
        (Some(id), _, _) => Entity::Alliance(id),
        (_, Some(id), _) => Entity::Corporation(id),
        (_, _, Some(id)) => Entity::Character(id),
        _ => anyhow::bail!("one of --alliance, --corporation or --character is required"),
    };
    let rules = args.ruleset.as_deref().map(rules::load).transpose()?;
    let cluster_config = ClusterConfig::default().with_min_kills(args.min_kills);
    cluster_config.validate()?;
    let files = expand(&args.files)?;
    let options = ReadOptions::default().with_format(args.input_format);
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let mut outcome = read_all(&files, &options, show_progress)?;
    let stats = rules
        .as_ref()
        .map(|r| rules::retain(r, &mut outcome.killmails));
    let battles = cluster(&outcome.killmails, &cluster_config)?;
    let config = IntelConfig::default().with_doctrine(
        DoctrineConfig::default()
            .with_scope(match args.doctrine_scope {
                Scope::Side => DoctrineScope::Side,
                Scope::Entity => DoctrineScope::Entity,
            })
            .with_similarity(args.doctrine_similarity)
            .with_min_fleet(args.doctrine_min_fleet)
            .with_min_battles(args.doctrine_min_battles),
    );
    let report = analyze(entity, &battles, &outcome.killmails, &config);

    let text = match args.format {
        IntelFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        IntelFormat::Table => table(&report, args.top),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("{}: cannot write", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write to standard output")?;
        }
    }
    if !args.quiet {
        print_read_summary(&outcome, files.len());
        if let Some(stats) = &stats {
            rules::write_table(std::io::stderr().lock(), stats)?;
        }
        eprintln!(
            "{} battles, {} with {entity}",
            battles.len(),
            report.summary.battles
        );
    }
    for e in &outcome.unreadable {
        eprintln!("error: {e}");
    }
    Ok(if outcome.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// ISK the way players write it: `1.23b`, `456.7m`, `12.3k`.
fn isk(v: f64) -> String {
    let a = v.abs();
    if a >= 1e12 {
        format!("{:.2}t", v / 1e12)
    } else if a >= 1e9 {
        format!("{:.2}b", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}m", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |x| format!("{:.1}%", 100.0 * x))
}

/// The report as readable tables, `top` rows per section.
fn table(r: &IntelReport, top: usize) -> String {
    let mut o = String::new();
    // Writing to a String cannot fail.
    let s = &r.summary;
    let span = match (s.first_seen, s.last_seen) {
        (Some(a), Some(b)) => format!(
            ", {} – {}",
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "{}: {} battles ({} won){span}",
        r.entity, s.battles, s.battles_won
    );
    let _ = writeln!(
        o,
        "  kills {} ({} ISK, {} without value), losses {} ({} ISK, {} without value), efficiency {}, {} pilots",
        s.kills,
        isk(s.isk_killed),
        s.kills_without_value,
        s.losses,
        isk(s.isk_lost),
        s.losses_without_value,
        percent(s.efficiency),
        s.pilots
    );

    let _ = writeln!(o, "\nOpponents");
    let _ = writeln!(
        o,
        "  {:<24} {:>7} {:>6} {:>10} {:>6} {:>10}",
        "group", "battles", "kills", "ISK killed", "losses", "ISK lost"
    );
    for x in r.opponents.iter().take(top) {
        let _ = writeln!(
            o,
            "  {:<24} {:>7} {:>6} {:>10} {:>6} {:>10}",
            x.group.to_string(),
            x.battles,
            x.kills,
            isk(x.isk_killed),
            x.losses,
            isk(x.isk_lost)
        );
    }

    let _ = writeln!(o, "\nAllies");
    let _ = writeln!(
        o,
        "  {:<24} {:>7} {:>14} {:>10} {:>6} {:>10}",
        "group", "battles", "kills together", "ISK", "losses", "ISK lost"
    );
    for x in r.allies.iter().take(top) {
        let _ = writeln!(
            o,
            "  {:<24} {:>7} {:>14} {:>10} {:>6} {:>10}",
            x.group.to_string(),
            x.battles,
            x.kills_together,
            isk(x.isk_killed_together),
            x.losses,
            isk(x.isk_lost)
        );
    }

    let _ = writeln!(o, "\nShips");
    let _ = writeln!(
        o,
        "  {:<26} {:<14} {:>6} {:>6} {:>6} {:>10} {:>5} {:>10}",
        "hull", "class", "flown", "pilots", "kills", "ISK killed", "lost", "ISK lost"
    );
    for h in r.ships.hulls.iter().take(top) {
        let name = h
            .name
            .clone()
            .unwrap_or_else(|| format!("type {}", h.type_id));
        let _ = writeln!(
            o,
            "  {:<26} {:<14} {:>6} {:>6} {:>6} {:>10} {:>5} {:>10}",
            name,
            h.class.as_str(),
            h.flown,
            h.pilots,
            h.kills,
            isk(h.isk_killed),
            h.lost,
            isk(h.isk_lost)
        );
    }

    let _ = writeln!(o, "\nDoctrines");
    let _ = writeln!(
        o,
        "  {:<40} {:>5} {:>9} {:>10} {:>8}",
        "fleet", "flown", "avg fleet", "efficiency", "win rate"
    );
    for d in r.doctrines.iter().take(top) {
        let _ = writeln!(
            o,
            "  {:<40} {:>5} {:>9.1} {:>10} {:>8}",
            d.name,
            d.times_flown,
            d.average_fleet,
            percent(d.efficiency),
            percent(Some(d.win_rate))
        );
    }

    let places = |o: &mut String, title: &str, rows: &[PlaceActivity]| {
        let _ = writeln!(o, "\n{title}");
        let _ = writeln!(
            o,
            "  {:<24} {:>7} {:>6} {:>10} {:>6} {:>10}",
            "place", "battles", "kills", "ISK killed", "losses", "ISK lost"
        );
        for p in rows.iter().take(top) {
            let name = p.name.clone().unwrap_or_else(|| p.id.to_string());
            let _ = writeln!(
                o,
                "  {:<24} {:>7} {:>6} {:>10} {:>6} {:>10}",
                name,
                p.battles,
                p.kills,
                isk(p.isk_killed),
                p.losses,
                isk(p.isk_lost)
            );
        }
    };
    places(&mut o, "Activity by system", &r.activity.systems);
    places(&mut o, "Activity by region", &r.activity.regions);

    let _ = writeln!(o, "\nActivity by hour (UTC): kills + losses");
    let most = r
        .activity
        .hours
        .iter()
        .map(|h| h.kills + h.losses)
        .max()
        .unwrap_or(0)
        .max(1);
    for h in &r.activity.hours {
        let n = h.kills + h.losses;
        let bar = "#".repeat((n * 40).div_ceil(most) as usize);
        let _ = writeln!(o, "  {:02}  {:>5}  {bar}", h.hour, n);
    }

    let _ = writeln!(o, "\nPilots");
    let _ = writeln!(
        o,
        "  {:<12} {:>7} {:>6} {:>6}  hulls (first seen first)",
        "character", "battles", "kills", "losses"
    );
    for p in r.pilots.iter().take(top) {
        let hulls: Vec<String> = p
            .hulls
            .iter()
            .map(|h| {
                h.name
                    .clone()
                    .unwrap_or_else(|| format!("type {}", h.type_id))
            })
            .collect();
        let _ = writeln!(
            o,
            "  {:<12} {:>7} {:>6} {:>6}  {}",
            p.character_id,
            p.battles,
            p.kills,
            p.losses,
            hulls.join(", ")
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::{isk, percent, unit_interval};

    #[test]
    fn isk_reads_like_players_write_it() {
        assert_eq!(isk(0.0), "0");
        assert_eq!(isk(950.0), "950");
        assert_eq!(isk(12_340.0), "12.3k");
        assert_eq!(isk(456_700_000.0), "456.7m");
        assert_eq!(isk(1_234_000_000.0), "1.23b");
        assert_eq!(isk(2.5e12), "2.50t");
        assert_eq!(percent(None), "-");
        assert_eq!(percent(Some(0.5)), "50.0%");
        assert!(unit_interval("0.7").is_ok());
        assert!(unit_interval("1.5").is_err() && unit_interval("x").is_err());
    }
}
