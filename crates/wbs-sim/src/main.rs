//! `wbs-sim`: runs the sandbox on a loopback address and prints, on one line of stdout, the
//! JSON a client in any language needs: base URL, consumer credentials, users and tokens.

use std::process::ExitCode;

use clap::Parser;

/// A local WBS API server that verifies every OAuth signature.
#[derive(Parser, Debug)]
#[command(name = "wbs-sim", version)]
struct Args {
    #[command(flatten)]
    options: wbs_sim::SimOptions,
}

#[tokio::main]
async fn main() -> ExitCode {
    match wbs_sim::serve(Args::parse().options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wbs-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
