//! `wbs-sim`: runs the sandbox on a loopback address and prints, on one line of stdout, the
//! JSON a client in any language needs: base URL, consumer credentials, users and tokens.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use wbs_sim::{Faults, RunningSim, Sandbox};

/// A local WBS API server that verifies every OAuth signature.
#[derive(Parser, Debug)]
#[command(name = "wbs-sim", version)]
struct Args {
    /// Address to listen on (loopback only; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Generated users to add to the reference's two.
    #[arg(long, default_value_t = 0)]
    users: u32,
    /// Measure groups for each generated user.
    #[arg(long, default_value_t = 365)]
    groups: u32,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Accepted distance of oauth_timestamp from the clock, in seconds.
    #[arg(long, default_value_t = 300)]
    timestamp_window: u64,
    /// Faults to inject, e.g. "rate=0.2,kinds=drop+503+2555+truncate+601+delay,seed=7"
    /// or "getmeas#3=503" (fail the third getmeas).
    #[arg(long, default_value = "")]
    faults: Faults,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.set_timestamp_window(args.timestamp_window);
    if args.users > 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        sandbox.generate(args.users, args.groups, args.seed, now);
    }
    let sim = match RunningSim::start_with_faults(sandbox, args.addr, args.faults).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("wbs-sim: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let line = sim.describe();
    println!("{line}");
    eprintln!("wbs-sim: serving {} (Ctrl-C stops)", sim.base_url());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
