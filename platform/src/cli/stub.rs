//! `battlescope stub`: the local zKillboard + ESI stub as a program, a demo
//! source for `serve` and a target for outage tests (faults are set over
//! HTTP at `/_stub/faults`).

use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::stub::{self, StubConfig, StubState};
use anyhow::Context;
use battlescope_synth::ScenarioConfig;
use clap::Args;

/// Options of `battlescope stub`.
#[derive(Debug, Args)]
pub struct StubArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8090)]
    port: u16,

    /// Serve only what is generated, not the repository's real samples.
    #[arg(long)]
    no_fixtures: bool,

    /// Also publish this many generated killmails (battlescope-synth).
    #[arg(long, default_value_t = 0, value_name = "N")]
    synth: usize,

    /// Seed of the generated killmails.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Publish the generated killmails at this many per second instead of
    /// all at once.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<f64>,

    /// Sequence number of the first R2Z2 item.
    #[arg(long, default_value_t = StubConfig::default().first_sequence)]
    first_sequence: u64,
}

/// Serve until Ctrl-C.
///
/// # Errors
/// When the port cannot be bound or the rate is not a positive number.
pub fn run(args: &StubArgs) -> anyhow::Result<ExitCode> {
    if let Some(rate) = args.rate {
        anyhow::ensure!(
            rate.is_finite() && rate > 0.0,
            "--rate must be a positive number, got {rate}"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &StubArgs) -> anyhow::Result<()> {
    let config = StubConfig {
        port: args.port,
        first_sequence: args.first_sequence,
        fixtures: !args.no_fixtures,
    };
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = stub::new_state(&config);
    eprintln!("zKillboard / ESI stub on {url}");
    eprintln!("  R2Z2:   {url}/ephemeral/sequence.json");
    eprintln!("  RedisQ: {url}/listen.php?queueID=demo");
    eprintln!("  ESI:    {url}/killmails/{{id}}/{{hash}}/, {url}/universe/names/");
    eprintln!("  faults: {url}/_stub/faults   (Ctrl-C stops)");
    let publisher = (args.synth > 0).then(|| {
        tokio::spawn(publish(
            Arc::clone(&state),
            args.synth,
            args.seed,
            args.rate,
        ))
    });
    stub::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    if let Some(publisher) = publisher {
        publisher.abort();
    }
    Ok(())
}

/// Publish generated killmails, all at once or paced at `rate` per second.
async fn publish(state: Arc<StubState>, kills: usize, seed: u64, rate: Option<f64>) {
    let config = ScenarioConfig::with_kills(kills);
    let mut tick = rate.map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / r)));
    for km in battlescope_synth::stream(&config, seed) {
        if let Some(tick) = tick.as_mut() {
            tick.tick().await;
        }
        state.data.publish(&km);
    }
    eprintln!("published {kills} generated killmails");
}
