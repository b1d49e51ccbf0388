//! Settings: flags, then the environment (clap reads both), then the config file that
//! `wbs auth login` writes; the embedded sandbox with `--sandbox`.

use std::path::{Path, PathBuf};

use wbs_hyper::{Client, Credentials, DeviceType, UserId};
use wbs_sim::{RunningSim, Sandbox};

use crate::args::Cli;
use crate::files::read_existing;
use crate::Failure;

/// What a config file is, in messages.
pub(crate) const CONFIG_FILE: &str = "a wbs config file";

/// The config file `wbs auth login` writes: these fields and no others (a misspelt key is
/// an error, not a silently missing credential).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    base_url: Option<String>,
    oauth_url: Option<String>,
    consumer_key: Option<String>,
    consumer_secret: Option<String>,
    token: Option<String>,
    token_secret: Option<String>,
    /// Written for the person reading the file; signing does not need it.
    #[allow(dead_code)]
    userid: Option<i64>,
}

/// Resolved settings: flags and environment first, then the config file.
pub(crate) struct Settings {
    pub(crate) base_url: String,
    pub(crate) oauth_url: String,
    pub(crate) consumer: Option<Credentials>,
    pub(crate) token: Option<Credentials>,
    _sandbox: Option<RunningSim>,
}

pub(crate) fn config_path(cli: &Cli) -> Option<PathBuf> {
    if let Some(p) = &cli.config {
        return Some(p.clone());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("wbs").join("config.json"))
}

pub(crate) async fn settings(cli: &Cli, user: Option<i64>) -> Result<Settings, Failure> {
    if cli.sandbox {
        let sim = RunningSim::start(Sandbox::with_reference_data(), ([127, 0, 0, 1], 0).into())
            .await
            .map_err(|e| Failure::new(format!("cannot start the sandbox: {e}")))?;
        let user = UserId::new(user.unwrap_or(29));
        let (consumer, token, users) = sim.with(|s| {
            let users: Vec<String> = s.users().map(|u| u.user.id.to_string()).collect();
            (
                s.consumer().clone(),
                s.user(user).map(|u| u.token.clone()),
                users,
            )
        });
        if token.is_none() {
            return Err(Failure::new(format!(
                "the sandbox has no user {user}; it has users {}",
                users.join(", ")
            )));
        }
        let base = sim.base_url();
        return Ok(Settings {
            base_url: base.clone(),
            oauth_url: base,
            consumer: Some(consumer),
            token,
            _sandbox: Some(sim),
        });
    }
    // A config file that is there must be one: a bad one is an error, not ignored.
    let file: ConfigFile = match config_path(cli) {
        Some(path) => read_existing(&path, CONFIG_FILE)?.unwrap_or_default(),
        None => ConfigFile::default(),
    };
    let from_file = |k: &str| match k {
        "base_url" => file.base_url.clone(),
        "oauth_url" => file.oauth_url.clone(),
        "consumer_key" => file.consumer_key.clone(),
        "consumer_secret" => file.consumer_secret.clone(),
        "token" => file.token.clone(),
        "token_secret" => file.token_secret.clone(),
        _ => None,
    };
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

pub(crate) fn client(s: &Settings) -> Result<Client, Failure> {
    let consumer = s.consumer.clone().ok_or_else(|| Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret, set WBS_CONSUMER_KEY and WBS_CONSUMER_SECRET, or use --sandbox"))?;
    let token = s.token.clone().ok_or_else(|| {
        Failure::new("no access token")
            .hint("run `wbs auth login`, pass --token and --token-secret, or use --sandbox")
    })?;
    Ok(Client::builder(consumer, token)
        .base_url(s.base_url.clone())
        .build()?)
}

pub(crate) fn appli(code: Option<i64>) -> Option<DeviceType> {
    code.map(DeviceType::from_code)
}
