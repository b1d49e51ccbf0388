//! `wbs`: the WBS API from the command line: a sandbox demo, the OAuth checker the API
//! reference asks developers to use, export, incremental sync, and notifications.

mod dates;
mod output;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use futures_util::StreamExt;
use serde_json::{json, Value};
use wbs_hyper::{
    Category, Client, Credentials, DeviceType, GetMeas, MeasureGroup, MeasureType, SyncCursor,
    Units, UserId,
};
use wbs_proto::wbs_oauth::{IncomingRequest, OAuthParams, SignatureMethod, Signer};
use wbs_sim::{RunningSim, Sandbox};

use crate::output::Format;

/// The Withings Body metrics Services (WBS) API from the command line.
#[derive(Parser, Debug)]
#[command(name = "wbs", version, about)]
struct Cli {
    /// The API's base URL.
    #[arg(long, global = true, env = "WBS_BASE_URL")]
    base_url: Option<String>,
    /// The OAuth endpoints' base (for `auth login`).
    #[arg(long, global = true, env = "WBS_OAUTH_URL")]
    oauth_url: Option<String>,
    /// The application's consumer key.
    #[arg(long, global = true, env = "WBS_CONSUMER_KEY")]
    consumer_key: Option<String>,
    /// The application's consumer secret.
    #[arg(
        long,
        global = true,
        env = "WBS_CONSUMER_SECRET",
        hide_env_values = true
    )]
    consumer_secret: Option<String>,
    /// The user's access token.
    #[arg(long, global = true, env = "WBS_TOKEN")]
    token: Option<String>,
    /// The user's access token secret.
    #[arg(long, global = true, env = "WBS_TOKEN_SECRET", hide_env_values = true)]
    token_secret: Option<String>,
    /// The configuration file `wbs auth login` writes (default: $XDG_CONFIG_HOME/wbs/config.json).
    #[arg(long, global = true, env = "WBS_CONFIG")]
    config: Option<PathBuf>,
    /// How to print data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Run against an embedded sandbox on 127.0.0.1, seeded with the reference's examples.
    #[arg(long, global = true)]
    sandbox: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check that the service answers and the credentials sign correctly.
    Probe,
    /// Show a user.
    User {
        /// The user's id.
        userid: i64,
    },
    /// Export measure groups (every page, newest first).
    Measures(MeasuresArgs),
    /// Keep a file in step with a user's data: only new or changed groups are fetched.
    Sync {
        /// The user's id.
        #[arg(long)]
        user: i64,
        /// The file (a JSON array of groups; the cursor is kept beside it).
        #[arg(long)]
        out: PathBuf,
    },
    /// Notification subscriptions, and a listener for them.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// The OAuth checker: sign a request and show every step, or verify a signed URL.
    #[command(subcommand)]
    Oauth(OauthCommand),
    /// Authorize this command for a user (the three-legged flow).
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Run the sandbox server.
    Sim(wbs_sim::SimOptions),
}

#[derive(Args, Debug)]
struct MeasuresArgs {
    /// The user's id.
    #[arg(long)]
    user: i64,
    /// Nothing before (epoch seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC).
    #[arg(long, value_parser = dates::parse)]
    since: Option<i64>,
    /// Nothing after (same forms).
    #[arg(long, value_parser = dates::parse)]
    until: Option<i64>,
    /// One measure type: a name (weight, height, fat_ratio, …) or a code.
    #[arg(long = "type")]
    measure_type: Option<MeasureType>,
    /// Measurements or targets.
    #[arg(long, value_enum)]
    category: Option<CategoryArg>,
    /// Device types, as a code or bitmask (0 user, 1 body scale, 4 blood pressure).
    #[arg(long)]
    devtype: Option<i64>,
    /// Only groups added or changed since (same forms as --since).
    #[arg(long, value_parser = dates::parse)]
    last_update: Option<i64>,
    /// At most this many groups (default: all).
    #[arg(long)]
    limit: Option<u32>,
    /// SI as sent, or imperial.
    #[arg(long, value_enum, default_value_t = UnitsArg::Si)]
    units: UnitsArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CategoryArg {
    Measure,
    Target,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum UnitsArg {
    Si,
    Imperial,
}

#[derive(Subcommand, Debug)]
enum NotifyCommand {
    /// Subscribe a callback URL.
    Subscribe {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        url: String,
        #[arg(long)]
        comment: String,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// Show one subscription.
    Get {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        url: String,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// List the subscriptions.
    List {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// End a subscription.
    Revoke {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        url: String,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// Receive notifications and print each (and, with --fetch, the groups it announces).
    Listen {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        #[arg(long, default_value = "/wbs/notify")]
        path: String,
        #[arg(long)]
        fetch: bool,
    },
}

#[derive(Subcommand, Debug)]
enum OauthCommand {
    /// Sign a request and print the normalized parameters, base string, signature and URL.
    Sign {
        #[arg(long, default_value = "GET")]
        method: String,
        #[arg(long)]
        url: String,
        /// A request parameter, name=value (repeat).
        #[arg(long = "param")]
        params: Vec<String>,
        #[arg(long)]
        nonce: Option<String>,
        #[arg(long)]
        timestamp: Option<String>,
    },
    /// Say whether a signed URL verifies with the given secrets, and if not, why.
    Verify {
        url: String,
        #[arg(long, default_value = "GET")]
        method: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuthCommand {
    /// Run the three-legged flow and store the user's token in the config file.
    Login {
        /// Where the local callback listener listens.
        #[arg(long, default_value = "127.0.0.1:0")]
        callback_addr: SocketAddr,
    },
}

/// A failure to report: one line, no secret.
struct Failure {
    what: String,
    hint: Option<&'static str>,
}

impl Failure {
    fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
}

impl From<wbs_hyper::Error> for Failure {
    fn from(e: wbs_hyper::Error) -> Self {
        let hint = if e.api_status().is_some_and(|s| s.is_auth_failure()) {
            Some("check the consumer and token credentials; `wbs oauth sign` shows what is signed")
        } else if e.is_connect() {
            Some("check --base-url and the network")
        } else if e.is_timeout() {
            Some("the service is slow or unreachable; try again")
        } else {
            None
        };
        Self {
            what: e.to_string(),
            hint,
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
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            match f.hint {
                Some(hint) => eprintln!("wbs: {} (hint: {hint})", f.what),
                None => eprintln!("wbs: {}", f.what),
            }
            ExitCode::FAILURE
        }
    }
}

/// Resolved settings: flags and environment first, then the config file.
struct Settings {
    base_url: String,
    oauth_url: String,
    consumer: Option<Credentials>,
    token: Option<Credentials>,
    _sandbox: Option<RunningSim>,
}

fn config_path(cli: &Cli) -> Option<PathBuf> {
    if let Some(p) = &cli.config {
        return Some(p.clone());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("wbs").join("config.json"))
}

async fn settings(cli: &Cli, user: Option<i64>) -> Result<Settings, Failure> {
    if cli.sandbox {
        let sim = RunningSim::start(Sandbox::with_reference_data(), ([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| Failure::new(format!("cannot start the sandbox: {e}")))?;
        let user = UserId::new(user.unwrap_or(29));
        let (consumer, token) =
            sim.with(|s| (s.consumer().clone(), s.user(user).map(|u| u.token.clone())));
        let base = sim.base_url();
        return Ok(Settings {
            base_url: base.clone(),
            oauth_url: base,
            consumer: Some(consumer),
            token,
            _sandbox: Some(sim),
        });
    }
    let file: Value = config_path(cli)
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let from_file = |k: &str| file.get(k).and_then(Value::as_str).map(str::to_owned);
    let pick = |flag: &Option<String>, key: &str| flag.clone().or_else(|| from_file(key));
    let pair = |k: Option<String>, s: Option<String>| match (k, s) {
        (Some(k), Some(s)) => Some(Credentials::new(k, s)),
        _ => None,
    };
    Ok(Settings {
        base_url: pick(&cli.base_url, "base_url")
            .unwrap_or_else(|| wbs_proto::DEFAULT_BASE_URL.to_owned()),
        oauth_url: pick(&cli.oauth_url, "oauth_url")
            .unwrap_or_else(|| "https://oauth.withings.com".to_owned()),
        consumer: pair(
            pick(&cli.consumer_key, "consumer_key"),
            pick(&cli.consumer_secret, "consumer_secret"),
        ),
        token: pair(
            pick(&cli.token, "token"),
            pick(&cli.token_secret, "token_secret"),
        ),
        _sandbox: None,
    })
}

fn client(s: &Settings) -> Result<Client, Failure> {
    let consumer = s.consumer.clone().ok_or_else(|| Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret, set WBS_CONSUMER_KEY and WBS_CONSUMER_SECRET, or use --sandbox"))?;
    let token = s.token.clone().ok_or_else(|| {
        Failure::new("no access token")
            .hint("run `wbs auth login`, pass --token and --token-secret, or use --sandbox")
    })?;
    Ok(Client::builder(consumer, token)
        .base_url(s.base_url.clone())
        .build()?)
}

fn appli(code: Option<i64>) -> Option<DeviceType> {
    code.map(DeviceType::from_code)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let user_of = match &cli.command {
        Command::User { userid } => Some(*userid),
        Command::Measures(m) => Some(m.user),
        Command::Sync { user, .. } => Some(*user),
        Command::Notify(
            NotifyCommand::Subscribe { user, .. }
            | NotifyCommand::Get { user, .. }
            | NotifyCommand::List { user, .. }
            | NotifyCommand::Revoke { user, .. },
        ) => Some(*user),
        _ => None,
    };
    match &cli.command {
        Command::Sim(options) => {
            return wbs_sim::serve(options.clone()).await.map_err(Failure::new)
        }
        Command::Oauth(cmd) => {
            let s = settings(&cli, user_of).await?;
            return oauth(cmd, &s);
        }
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
        Command::Measures(m) => measures(&client(&s)?, m, format).await?,
        Command::Sync { user, out } => sync(&client(&s)?, UserId::new(*user), out).await?,
        Command::Notify(n) => notify(&client(&s), n, format).await?,
        Command::Auth(AuthCommand::Login { callback_addr }) => {
            login(&cli, &s, *callback_addr).await?
        }
        Command::Oauth(_) | Command::Sim(_) => {}
    }
    Ok(())
}

async fn measures(client: &Client, m: &MeasuresArgs, format: Format) -> Result<(), Failure> {
    let mut q = GetMeas::new(UserId::new(m.user));
    q.startdate = m.since.map(wbs_hyper::Timestamp::from_secs);
    q.enddate = m.until.map(wbs_hyper::Timestamp::from_secs);
    q.meastype = m.measure_type;
    q.category = m.category.map(|c| match c {
        CategoryArg::Measure => Category::MEASURE,
        CategoryArg::Target => Category::TARGET,
    });
    q.devtype = appli(m.devtype);
    q.lastupdate = m.last_update.map(wbs_hyper::Timestamp::from_secs);
    let units = match m.units {
        UnitsArg::Si => Units::Si,
        UnitsArg::Imperial => Units::Imperial,
    };
    let mut groups = Vec::new();
    let mut stream = std::pin::pin!(client.measures_all(q));
    while let Some(group) = stream.next().await {
        groups.push(group?);
        if m.limit.is_some_and(|l| groups.len() >= l as usize) {
            break;
        }
    }
    output::groups(format, &groups, units, m.measure_type);
    Ok(())
}

async fn sync(client: &Client, user: UserId, out: &Path) -> Result<(), Failure> {
    let cursor_path = PathBuf::from(format!("{}.cursor.json", out.display()));
    let cursor: SyncCursor = std::fs::read(&cursor_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &SyncCursor| c.userid == user)
        .unwrap_or_else(|| SyncCursor::new(user));
    let mut stored: Vec<MeasureGroup> = std::fs::read(out)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let bar = output::progress();
    bar.set_message("fetching changes");
    let (changed, next) = client.sync(&cursor).await?;
    bar.finish_and_clear();
    let count = changed.len();
    // Merge by grpid: a changed group replaces its old copy, so a re-run never doubles.
    let ids: std::collections::HashSet<_> = changed.iter().map(|g| g.grpid).collect();
    stored.retain(|g| !ids.contains(&g.grpid));
    stored.extend(changed);
    stored.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
    // Data first, then the cursor: an interruption in between only repeats work.
    write_atomically(
        out,
        &serde_json::to_vec_pretty(&stored).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    write_atomically(
        &cursor_path,
        &serde_json::to_vec_pretty(&next).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    eprintln!(
        "wbs: {count} new or changed groups; {} in {}",
        stored.len(),
        out.display()
    );
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))
}

async fn notify(
    client: &Result<Client, Failure>,
    cmd: &NotifyCommand,
    format: Format,
) -> Result<(), Failure> {
    let c = || {
        client.as_ref().map_err(|f| Failure {
            what: f.what.clone(),
            hint: f.hint,
        })
    };
    match cmd {
        NotifyCommand::Subscribe {
            user,
            url,
            comment,
            appli: a,
        } => {
            c()?.subscribe(UserId::new(*user), url, comment, appli(*a))
                .await?;
            output::message(format, "subscribed", json!({"status": 0}));
        }
        NotifyCommand::Get {
            user,
            url,
            appli: a,
        } => {
            let s = c()?
                .subscription(UserId::new(*user), url, appli(*a))
                .await?;
            output::subscriptions(format, &[s]);
        }
        NotifyCommand::List { user, appli: a } => {
            let list = c()?.subscriptions(UserId::new(*user), appli(*a)).await?;
            output::subscriptions(format, &list);
        }
        NotifyCommand::Revoke {
            user,
            url,
            appli: a,
        } => {
            c()?.revoke(UserId::new(*user), url, appli(*a)).await?;
            output::message(format, "revoked", json!({"status": 0}));
        }
        NotifyCommand::Listen { addr, path, fetch } => {
            let (listener, notifications) = wbs_hyper::NotificationListener::bind(*addr, path)
                .await
                .map_err(|e| Failure::new(format!("cannot listen on {addr}: {e}")))?;
            eprintln!("wbs: listening on {} (Ctrl-C stops)", listener.url());
            let mut notifications = std::pin::pin!(notifications);
            loop {
                let next = tokio::select! {
                    n = notifications.next() => n,
                    _ = tokio::signal::ctrl_c() => None,
                };
                let Some(received) = next else { break };
                match received {
                    Ok(n) => {
                        output::notification(format, &n);
                        if *fetch {
                            let groups = c()?.fetch_notified(&n).await?;
                            output::groups(format, &groups, Units::Si, None);
                        }
                    }
                    Err(e) => eprintln!("wbs: refused a notification: {e}"),
                }
            }
        }
    }
    Ok(())
}

fn oauth(cmd: &OauthCommand, s: &Settings) -> Result<(), Failure> {
    let consumer = s.consumer.clone().ok_or_else(|| {
        Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret")
    })?;
    let token_secret = s.token.as_ref().map(|t| t.secret.clone());
    match cmd {
        OauthCommand::Sign {
            method,
            url,
            params,
            nonce,
            timestamp,
        } => {
            let pairs: Vec<(String, String)> = params
                .iter()
                .map(|p| {
                    p.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| Failure::new(format!("--param {p:?} is not name=value")))
                })
                .collect::<Result<_, _>>()?;
            let nonce = match nonce {
                Some(n) => n.clone(),
                None => {
                    wbs_proto::wbs_oauth::random_nonce().map_err(|e| Failure::new(e.to_string()))?
                }
            };
            let timestamp = timestamp
                .clone()
                .unwrap_or_else(|| wbs_proto::wbs_oauth::unix_timestamp().to_string());
            let mut oauth = OAuthParams::new(&consumer.key, &nonce, &timestamp);
            oauth.token = s.token.as_ref().map(|t| t.key.as_str());
            let signer = Signer::new(
                SignatureMethod::HmacSha1,
                &consumer.secret,
                token_secret.as_ref(),
            );
            let signed = signer
                .sign(method, url, &pairs, &oauth)
                .map_err(|e| Failure::new(format!("cannot sign: {e}")))?;
            println!("normalized parameters: {}", signed.normalized_parameters());
            println!("base string:           {}", signed.base_string());
            println!("signature:             {}", signed.signature().to_wire());
            println!("signed URL:            {}", signed.query_url());
        }
        OauthCommand::Verify { url, method } => {
            let got = IncomingRequest::parse(method, url, None, None)
                .map_err(|e| Failure::new(format!("not a signed request: {e}")))?;
            match got.verify(&consumer.secret, token_secret.as_ref()) {
                Ok(()) => println!("the signature verifies"),
                Err(e) => {
                    println!("the signature does not verify: {e}");
                    // The usual mistakes, tried in turn.
                    if token_secret.is_some() && got.verify(&consumer.secret, None).is_ok() {
                        println!("it verifies without the token secret: the signer left the token secret out of the key");
                    } else if let Some(ts) = &token_secret {
                        if got.verify(ts, Some(&consumer.secret)).is_ok() {
                            println!("it verifies with the two secrets swapped");
                        }
                    }
                    // The other parts of the base string that signers get wrong: the method
                    // and the scheme.
                    let other_scheme = url
                        .strip_prefix("https://")
                        .map(|rest| format!("http://{rest}"))
                        .or_else(|| {
                            url.strip_prefix("http://")
                                .map(|rest| format!("https://{rest}"))
                        });
                    let other_method = if method.eq_ignore_ascii_case("GET") {
                        "POST"
                    } else {
                        "GET"
                    };
                    let verifies_as = |m: &str, u: &str| {
                        IncomingRequest::parse(m, u, None, None).is_ok_and(|r| {
                            r.verify(&consumer.secret, token_secret.as_ref()).is_ok()
                        })
                    };
                    if verifies_as(other_method, url) {
                        println!("it verifies as a {other_method} request: the method differs");
                    }
                    if let Some(u) = other_scheme.as_deref().filter(|u| verifies_as(method, u)) {
                        println!(
                            "it verifies as {}: the scheme differs",
                            u.split("://").next().unwrap_or("")
                        );
                    }
                    if s.consumer
                        .as_ref()
                        .is_some_and(|c| c.key != got.consumer_key())
                    {
                        println!("the URL's oauth_consumer_key is not the one given");
                    }
                    println!(
                        "the base string these secrets sign is:\n{}",
                        got.base_string()
                    );
                    println!("compare it with the signer's: the first difference is the bug");
                    return Err(Failure::new("signature does not verify"));
                }
            }
        }
    }
    Ok(())
}

async fn login(cli: &Cli, s: &Settings, callback_addr: SocketAddr) -> Result<(), Failure> {
    let consumer = s.consumer.clone().ok_or_else(|| {
        Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret")
    })?;
    let dance = wbs_hyper::OAuthDance::with_endpoints(
        consumer.clone(),
        wbs_hyper::OAuthEndpoints::under(&s.oauth_url),
    )?;
    let callback = wbs_hyper::CallbackListener::bind(callback_addr)
        .await
        .map_err(|e| Failure::new(format!("cannot listen for the callback: {e}")))?;
    let request_token = dance.request_token(&callback.url()).await?;
    println!(
        "Open this URL to authorize wbs:\n{}",
        dance.authorize_url(&request_token)?
    );
    let approved = callback.wait().await?;
    let (token, userid) = dance
        .access_token(&request_token, &approved.verifier)
        .await?;
    let path = config_path(cli)
        .ok_or_else(|| Failure::new("no place for the config file").hint("pass --config PATH"))?;
    let config = json!({
        "base_url": s.base_url,
        "oauth_url": s.oauth_url,
        "consumer_key": consumer.key,
        "consumer_secret": consumer.secret.expose(),
        "token": token.key,
        "token_secret": token.secret.expose(),
        "userid": userid,
    });
    write_private(
        &path,
        &serde_json::to_vec_pretty(&config).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    eprintln!(
        "wbs: authorized for user {userid}; credentials saved in {}",
        path.display()
    );
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let fail = |e: std::io::Error| Failure::new(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)
}
