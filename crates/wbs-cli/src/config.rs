//! Settings: flags, then the environment (clap reads both), then the config file that
//! `wbs auth login` writes; the embedded sandbox with `--sandbox`.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use wbs_hyper::{
    Client, ClientCredentials, Credentials, DeviceType, SinkError, SinkFuture, TokenSet, TokenSink,
    UserId,
};
use wbs_sim::{RunningSim, Sandbox};

use crate::args::Cli;
use crate::files::{read_existing, write_durably};
use crate::Failure;

/// What a config file is, in messages.
pub(crate) const CONFIG_FILE: &str = "a wbs config file";

/// The config file `wbs auth login` writes: these fields and no others (a misspelt key is
/// an error, not a silently missing credential).
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    base_url: Option<String>,
    oauth_url: Option<String>,
    consumer_key: Option<String>,
    consumer_secret: Option<String>,
    token: Option<String>,
    token_secret: Option<String>,
    /// The user (OAuth 2's token sets name it; OAuth 1 signing does not need it).
    userid: Option<i64>,
    client_id: Option<String>,
    client_secret: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_at: Option<i64>,
    scope: Option<String>,
}

/// Resolved settings: flags and environment first, then the config file.
pub(crate) struct Settings {
    pub(crate) base_url: String,
    pub(crate) oauth_url: String,
    pub(crate) consumer: Option<Credentials>,
    pub(crate) token: Option<Credentials>,
    /// The OAuth 2 application (flags, environment, file).
    pub(crate) app: Option<ClientCredentials>,
    /// An OAuth 2 token set from the config file: used before OAuth 1 credentials.
    pub(crate) tokens: Option<TokenSet>,
    /// Where the config file is (a refreshed token set is written back to it).
    pub(crate) config: Option<PathBuf>,
    /// The in-process sandbox of `--sandbox`, serving while these settings live.
    sandbox: Option<RunningSim>,
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
            app: Some(sim.with(|s| s.oauth2_client().clone())),
            tokens: None,
            config: None,
            sandbox: Some(sim),
        });
    }
    // A config file that is there must be one: a bad one is an error, not ignored.
    let path = config_path(cli);
    let file: ConfigFile = match &path {
        Some(path) => read_existing(path, CONFIG_FILE)?.unwrap_or_default(),
        None => ConfigFile::default(),
    };
    let from_file = |k: &str| match k {
        "base_url" => file.base_url.clone(),
        "oauth_url" => file.oauth_url.clone(),
        "consumer_key" => file.consumer_key.clone(),
        "consumer_secret" => file.consumer_secret.clone(),
        "token" => file.token.clone(),
        "token_secret" => file.token_secret.clone(),
        "client_id" => file.client_id.clone(),
        "client_secret" => file.client_secret.clone(),
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
        app: match (
            pick(&cli.client_id, "client_id"),
            pick(&cli.client_secret, "client_secret"),
        ) {
            (Some(id), Some(secret)) => Some(ClientCredentials::new(id, secret)),
            _ => None,
        },
        tokens: tokens_of(&file),
        config: path,
        sandbox: None,
    })
}

impl Settings {
    /// Whether these settings name the in-process sandbox (`--sandbox`), whose endpoints
    /// stand in for every one of the service's.
    pub(crate) fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The OAuth 2 client credentials, or the failure `what` (with `hint`) without them.
    pub(crate) fn app(&self, what: &str, hint: &'static str) -> Result<ClientCredentials, Failure> {
        self.app
            .clone()
            .ok_or_else(|| Failure::new(what).hint(hint))
    }
}

pub(crate) fn client(s: &Settings) -> Result<Client, Failure> {
    // OAuth 2 first: a token set from `wbs auth login --oauth2`.
    if let Some(tokens) = s.tokens.clone() {
        let app = s.app(
            "an OAuth 2 token set, but no client id and secret",
            "pass --client-id and --client-secret, or run `wbs auth login --oauth2` again",
        )?;
        let path = s
            .config
            .clone()
            .ok_or_else(|| Failure::new("no config file to keep tokens in"))?;
        return Ok(
            Client::builder_oauth2(app, tokens, Arc::new(ConfigSink { path }))
                .base_url(s.base_url.clone())
                .build()?,
        );
    }
    let consumer = s.consumer.clone().ok_or_else(|| Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret, set WBS_CONSUMER_KEY and WBS_CONSUMER_SECRET, or use --sandbox"))?;
    let token = s.token.clone().ok_or_else(|| {
        Failure::new("no access token")
            .hint("run `wbs auth login`, pass --token and --token-secret, or use --sandbox")
    })?;
    Ok(Client::builder(consumer, token)
        .base_url(s.base_url.clone())
        .build()?)
}

/// Keeps refreshed OAuth 2 token sets in the config file: the file is read, its token
/// fields replaced, and written atomically and durably (a file that does not read is left
/// alone, and the new access token is not used).
struct ConfigSink {
    path: PathBuf,
}

impl TokenSink for ConfigSink {
    fn save<'a>(&'a self, set: &'a TokenSet) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path.clone();
            let set = set.clone();
            tokio::task::spawn_blocking(move || save_tokens(&path, &set))
                .await
                .map_err(SinkError::from)?
                .map_err(|f| f.what.into())
        })
    }

    fn load(&self, userid: i64) -> SinkFuture<'_, Option<TokenSet>> {
        Box::pin(async move {
            let path = self.path.clone();
            let read = tokio::task::spawn_blocking(move || {
                read_existing::<ConfigFile>(&path, CONFIG_FILE)
            })
            .await
            .map_err(SinkError::from)?
            .map_err(|f| -> SinkError { f.what.into() })?;
            Ok(read
                .and_then(|file| tokens_of(&file))
                .filter(|set| set.userid == userid))
        })
    }
}

/// The OAuth 2 token set a config file holds, if whole.
fn tokens_of(file: &ConfigFile) -> Option<TokenSet> {
    match (
        file.userid,
        &file.access_token,
        &file.refresh_token,
        file.expires_at,
    ) {
        (Some(userid), Some(access), Some(refresh), Some(expires)) => Some(TokenSet::new(
            userid,
            access.clone(),
            refresh.clone(),
            expires,
            file.scope.clone().unwrap_or_default(),
        )),
        _ => None,
    }
}

/// Sets a config's token fields.
pub(crate) fn put_tokens(config: &mut serde_json::Map<String, serde_json::Value>, set: &TokenSet) {
    for (key, value) in [
        ("userid", serde_json::json!(set.userid)),
        ("access_token", serde_json::json!(set.access_token.expose())),
        (
            "refresh_token",
            serde_json::json!(set.refresh_token.expose()),
        ),
        ("expires_at", serde_json::json!(set.expires_at)),
        ("scope", serde_json::json!(set.scope)),
    ] {
        config.insert(key.to_owned(), value);
    }
}

/// Replaces the token fields of the config file at `path` (creating it if need be).
pub(crate) fn save_tokens(path: &Path, set: &TokenSet) -> Result<(), Failure> {
    let mut config: serde_json::Map<String, serde_json::Value> =
        read_existing(path, CONFIG_FILE)?.unwrap_or_default();
    // The file must stay a config file this version reads.
    serde_json::from_value::<ConfigFile>(serde_json::Value::Object(config.clone()))
        .map_err(|e| Failure::new(format!("{} is not {CONFIG_FILE}: {e}", path.display())))?;
    put_tokens(&mut config, set);
    let bytes = serde_json::to_vec_pretty(&config).map_err(|e| Failure::new(e.to_string()))?;
    write_durably(path, &bytes)
}

pub(crate) fn appli(code: Option<i64>) -> Option<DeviceType> {
    code.map(DeviceType::from_code)
}
