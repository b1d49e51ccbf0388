//! `wbs`: the WBS API from the command line: a sandbox demo, the OAuth checker the API
//! reference asks developers to use, export, incremental sync, and notifications.
//!
//! ```text
//!   args (clap) ─> config (flags > env > file, or --sandbox) ─> one module per command
//!                                                                 └─> wbs-hyper ─> output
//! ```

/// `println!` that ends the process quietly when the reader of standard output has gone
/// (`wbs history | head`), where `println!` would panic.
macro_rules! out {
    () => {
        $crate::emit(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

mod args;
mod auth;
mod config;
mod dates;
mod files;
mod history;
mod measures;
mod notify;
mod oauth;
mod output;
mod plot;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;
use wbs_hyper::UserId;

use crate::args::{AuthCommand, Cli, Command, NotifyCommand};
use crate::config::{client, settings};

/// The exit code when the work was done but malformed groups were left out (each was
/// named in a warning): distinct from a failure (1).
pub(crate) const EXIT_SKIPPED: u8 = 3;

/// A failure to report: one line, no secret.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    hint: Option<&'static str>,
    code: u8,
}

impl Failure {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: None,
            code: 1,
        }
    }

    /// The work is done, but `n` malformed groups were left out (already warned of).
    pub(crate) fn skipped(n: usize) -> Self {
        Self {
            what: format!("{n} malformed measure groups were left out (see the warnings above)"),
            hint: None,
            code: EXIT_SKIPPED,
        }
    }

    pub(crate) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
}

impl From<wbs_hyper::Error> for Failure {
    fn from(e: wbs_hyper::Error) -> Self {
        let hint = if e.oauth2_error().is_some() || e.is_refresh_failure() {
            Some("the OAuth 2 tokens were refused: run `wbs auth login --oauth2` again")
        } else if e.api_status().is_some_and(|s| s.is_auth_failure()) {
            Some("check the consumer and token credentials; `wbs oauth sign` shows what is signed")
        } else if e.is_connect() {
            Some("check --base-url and the network")
        } else if e.is_timeout() {
            Some("the service is slow or unreachable; try again")
        } else {
            None
        };
        Self {
            what: chain(&e),
            hint,
            code: 1,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wbs: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for blocking work still running (a read of standard input that timed
    // out): the process ends now.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            match f.hint {
                Some(hint) => eprintln!("wbs: {} (hint: {hint})", f.what),
                None => eprintln!("wbs: {}", f.what),
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let user_of = match &cli.command {
        Command::User { userid } => Some(*userid),
        Command::Measures(m) => Some(m.user),
        Command::Sync { user, .. } => Some(*user),
        Command::Notify(
            NotifyCommand::Subscribe { user, .. } | NotifyCommand::List { user, .. },
        ) => Some(*user),
        Command::Notify(NotifyCommand::Get(s) | NotifyCommand::Revoke(s)) => Some(s.user),
        _ => None,
    };
    match &cli.command {
        Command::Sim(options) => {
            return wbs_sim::serve(options.clone()).await.map_err(Failure::new)
        }
        Command::Oauth(cmd) => {
            let s = settings(&cli, user_of).await?;
            return oauth::oauth(cmd, &s);
        }
        Command::History(h) => return history::history(h, cli.db.as_deref(), cli.format).await,
        Command::Plot(p) => return history::plot(p, cli.db.as_deref()).await,
        _ => {}
    }
    let s = settings(&cli, user_of).await?;
    let format = cli.format;
    match &cli.command {
        Command::Probe => {
            client(&s)?.probe().await?;
            output::message(format, "ok", json!({"status": 0}));
        }
        Command::User { userid } => {
            let users = client(&s)?.user(UserId::new(*userid)).await?;
            output::users(format, &users);
        }
        Command::Measures(m) => measures::measures(&client(&s)?, m, format).await?,
        Command::Sync {
            user,
            out: Some(out),
        } => measures::sync(&client(&s)?, UserId::new(*user), out).await?,
        Command::Sync { user, out: None } => {
            history::sync(&client(&s)?, UserId::new(*user), cli.db.as_deref()).await?
        }
        Command::Notify(n) => notify::notify(&client(&s), n, format).await?,
        Command::Auth(AuthCommand::Login {
            callback_addr,
            oob,
            wait,
            oauth2,
            scope,
            redirect_uri,
        }) => {
            let how = if *oob {
                auth::Approval::OutOfBand
            } else {
                auth::Approval::Callback(*callback_addr)
            };
            let wait = std::time::Duration::from_secs(*wait);
            if *oauth2 {
                let login = auth::OAuth2Login {
                    scope,
                    redirect_uri,
                };
                auth::login_oauth2(&cli, &s, how, login, wait).await?
            } else {
                auth::login(&cli, &s, how, wait).await?
            }
        }
        Command::Serve(a) => serve::serve(a, &s, cli.db.as_deref()).await?,
        Command::Oauth(_) | Command::Sim(_) | Command::History(_) | Command::Plot(_) => {}
    }
    Ok(())
}

/// Writes one line to standard output (see `out!`).
pub(crate) fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader has all it wanted; everything durable is already written.
            std::process::exit(0);
        }
        eprintln!("wbs: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// An error and its causes, as one line: `what: why: …`.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
