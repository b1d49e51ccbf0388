//! The sandbox's command-line options and its serving loop, shared by the `wbs-sim` binary
//! and `wbs sim`.

use std::net::SocketAddr;

use crate::{Churn, Faults, RunningSim, Sandbox};

/// How to run the sandbox from a command line.
#[derive(clap::Args, Debug, Clone)]
pub struct SimOptions {
    /// Address to listen on (loopback only; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Generated users to add to the reference's two.
    #[arg(long, default_value_t = 0)]
    pub users: u32,
    /// Measure groups for each generated user.
    #[arg(long, default_value_t = 365)]
    pub groups: u32,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Accepted distance of oauth_timestamp from the clock, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timestamp_window: u64,
    /// Faults to inject, e.g. "rate=0.2,kinds=drop+503+2555+truncate+601+delay,seed=7"
    /// or "getmeas#3=503" (fail the third getmeas).
    #[arg(long, default_value = "")]
    pub faults: Faults,
    /// Before every getmeas page after a user's first, insert this many back-dated groups
    /// and delete this many already-sent ones (seeded with --seed): a pager's test.
    #[arg(long)]
    pub churn: Option<u32>,
    /// An OAuth 2 access token's lifetime, in seconds (the service's: 3 hours).
    #[arg(long, default_value_t = 10_800)]
    pub access_lifetime: i64,
    /// Answer 601 above this many API requests in any 60 seconds (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub rate_limit: u32,
    /// Milliseconds every API answer waits (a distant server).
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
}

/// Starts the sandbox, prints its JSON line (see [`RunningSim::describe`]) on stdout, and
/// serves until Ctrl-C. The error says why it could not start.
pub async fn serve(options: SimOptions) -> Result<(), String> {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.set_timestamp_window(options.timestamp_window);
    sandbox.set_access_lifetime(options.access_lifetime);
    if options.users > 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        sandbox.generate(options.users, options.groups, options.seed, now);
    }
    sandbox.set_churn(options.churn.map(|n| Churn::new(n, n, options.seed)));
    let sim = RunningSim::start_with_faults(sandbox, options.addr, options.faults)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    sim.set_rate_limit(Some(options.rate_limit).filter(|n| *n > 0));
    sim.set_latency(std::time::Duration::from_millis(options.latency));
    println!("{}", sim.describe());
    eprintln!("sandbox serving {} (Ctrl-C stops)", sim.base_url());
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
