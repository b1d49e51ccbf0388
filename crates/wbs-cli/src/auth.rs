//! `wbs auth login`: the three-legged flow, and the credentials saved for later commands.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use crate::args::Cli;
use crate::config::{config_path, ConfigFile, Settings, CONFIG_FILE};
use crate::files::{read_existing, write_durably};
use crate::Failure;

/// How the user's approval comes back.
pub(crate) enum Approval {
    /// A redirect to a local listener at this address.
    Callback(SocketAddr),
    /// Out of band: the service shows the verifier, the user pastes it on standard input.
    OutOfBand,
}

pub(crate) async fn login(
    cli: &Cli,
    s: &Settings,
    how: Approval,
    wait: Duration,
) -> Result<(), Failure> {
    let consumer = s.consumer.clone().ok_or_else(|| {
        Failure::new("no consumer key and secret").hint("pass --consumer-key and --consumer-secret")
    })?;
    let dance = wbs_hyper::OAuthDance::with_endpoints(
        consumer.clone(),
        wbs_hyper::OAuthEndpoints::under(&s.oauth_url),
    )?;
    let verifier = match how {
        Approval::Callback(addr) => {
            let callback = wbs_hyper::CallbackListener::bind(addr)
                .await
                .map_err(|e| Failure::new(format!("cannot listen for the callback: {e}")))?;
            let request_token = dance.request_token(&callback.url()).await?;
            callback.expect_token(&request_token.key);
            out!(
                "Open this URL to authorize wbs:\n{}",
                dance.authorize_url(&request_token)?
            );
            let approved = callback
                .wait(wait)
                .await
                .map_err(|e| not_approved(e, wait))?;
            (request_token, approved.verifier)
        }
        Approval::OutOfBand => {
            let request_token = dance.request_token("oob").await?;
            out!(
                "Open this URL in any browser to authorize wbs, then paste the verifier it shows:\n{}",
                dance.authorize_url(&request_token)?
            );
            let line = read_line(wait).await?;
            (request_token, verifier_of(&line)?)
        }
    };
    let (request_token, verifier) = verifier;
    let access = dance.access_token(&request_token, &verifier).await?;
    let (token, userid) = (access.token, access.userid);
    let config = json!({
        "base_url": s.base_url,
        "oauth_url": s.oauth_url,
        "consumer_key": consumer.key,
        "consumer_secret": consumer.secret.expose(),
        "token": token.key,
        "token_secret": token.secret.expose(),
        "userid": userid,
    });
    let serde_json::Value::Object(config) = config else {
        return Err(Failure::new("cannot build the config"));
    };
    let path = write_config(cli, config)?;
    eprintln!(
        "wbs: authorized for user {userid}; credentials saved in {}",
        path.display()
    );
    Ok(())
}

/// What an OAuth 2 login asks for.
pub(crate) struct OAuth2Login<'a> {
    pub(crate) scope: &'a str,
    /// The registered redirect URI, for `--oob` (else the local listener's).
    pub(crate) redirect_uri: &'a str,
}

/// `wbs auth login --oauth2`: the authorize URL with an unguessable state, the redirect
/// caught by a local listener (or pasted, `--oob`) and its state checked, the code traded
/// for a token set, saved in the config file.
pub(crate) async fn login_oauth2(
    cli: &Cli,
    s: &Settings,
    how: Approval,
    login: OAuth2Login<'_>,
    wait: Duration,
) -> Result<(), Failure> {
    let app = s.app(
        "no OAuth 2 client id and secret",
        "pass --client-id and --client-secret (or set WBS_CLIENT_ID and WBS_CLIENT_SECRET)",
    )?;
    // The sandbox serves the authorize page too.
    let base = cli
        .oauth_url
        .as_ref()
        .or(s.is_sandbox().then_some(&s.oauth_url));
    let endpoint = match base {
        Some(base) => format!(
            "{}{}",
            base.trim_end_matches('/'),
            wbs_proto::wbs_oauth2::AUTHORIZE_PATH
        ),
        None => wbs_proto::wbs_oauth2::AUTHORIZE_URL.to_owned(),
    };
    let state = wbs_proto::wbs_oauth::random_nonce().map_err(wbs_hyper::Error::from)?;
    let refused = |e: wbs_hyper::RedirectError| {
        Failure::new(format!("the authorization did not come back: {e}"))
    };
    let authorize = |redirect_uri: &str| {
        wbs_proto::wbs_oauth2::authorize_url(
            &endpoint,
            &app.client_id,
            redirect_uri,
            login.scope,
            &state,
        )
    };
    let (code, redirect_uri) = match how {
        Approval::Callback(addr) => {
            let listener = wbs_hyper::CallbackListener::bind_oauth2(addr, &state)
                .await
                .map_err(|e| Failure::new(format!("cannot listen for the callback: {e}")))?;
            let redirect_uri = listener.url();
            let url = authorize(&redirect_uri);
            out!("Open this URL to authorize wbs:\n{url}");
            let code = listener
                .wait(wait)
                .await
                .map_err(|e| not_approved(e, wait))?;
            (code.map_err(refused)?, redirect_uri)
        }
        Approval::OutOfBand => {
            let redirect_uri = login.redirect_uri.to_owned();
            let url = authorize(&redirect_uri);
            out!("Open this URL in any browser to authorize wbs, then paste the URL it is sent to:\n{url}");
            let line = read_line(wait).await?;
            let code =
                wbs_proto::wbs_oauth2::parse_redirect(line.trim(), &state).map_err(refused)?;
            (code, redirect_uri)
        }
    };
    let set = wbs_hyper::exchange_code(&s.base_url, &app, &code, &redirect_uri).await?;
    let mut config = serde_json::Map::new();
    config.insert("base_url".into(), json!(s.base_url));
    config.insert("oauth_url".into(), json!(s.oauth_url));
    config.insert("client_id".into(), json!(app.client_id));
    config.insert("client_secret".into(), json!(app.client_secret.expose()));
    crate::config::put_tokens(&mut config, &set);
    let path = write_config(cli, config)?;
    eprintln!(
        "wbs: authorized for user {} (OAuth 2, {}); tokens saved in {}",
        set.userid,
        set.scope,
        path.display()
    );
    Ok(())
}

/// Why no approval came back: the wait ran out, or the listener failed.
fn not_approved(e: wbs_hyper::Error, wait: Duration) -> Failure {
    if e.is_timeout() {
        Failure::new(format!("no approval arrived within {} s", wait.as_secs()))
            .hint("open the URL and approve, pass a longer --wait, or use --oob")
    } else {
        Failure::from(e)
    }
}

/// Writes a login's config file (0600, atomically, durably), unless it is a sandbox login
/// without `--config` (which would replace the user's own) or the file there does not
/// read (left alone). Where it was written.
fn write_config(
    cli: &Cli,
    config: serde_json::Map<String, serde_json::Value>,
) -> Result<std::path::PathBuf, Failure> {
    if cli.sandbox && cli.config.is_none() {
        return Err(Failure::new(
            "a sandbox login would replace your config file with the sandbox's credentials",
        )
        .hint("pass --config PATH for the sandbox's"));
    }
    let path = config_path(cli)
        .ok_or_else(|| Failure::new("no place for the config file").hint("pass --config PATH"))?;
    // Read again right before replacing it: a file that became unreadable meanwhile is
    // left alone.
    read_existing::<ConfigFile>(&path, CONFIG_FILE)?;
    write_durably(
        &path,
        &serde_json::to_vec_pretty(&config).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    Ok(path)
}

/// One line of standard input, within `wait`.
async fn read_line(wait: Duration) -> Result<String, Failure> {
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    });
    match tokio::time::timeout(wait, read).await {
        Ok(Ok(Ok(line))) => Ok(line),
        Ok(Ok(Err(e))) => Err(Failure::new(format!("cannot read the verifier: {e}"))),
        Ok(Err(_)) => Err(Failure::new("cannot read the verifier")),
        Err(_) => Err(Failure::new("no verifier given in time").hint("run again, or pass --wait")),
    }
}

/// The verifier in what the user pasted: the verifier itself, the page's
/// `oauth_verifier=…&userid=…`, or a redirected URL carrying it.
fn verifier_of(pasted: &str) -> Result<String, Failure> {
    let pasted = pasted.trim();
    let query = pasted.split_once('?').map_or(pasted, |(_, q)| q);
    if let Some(v) = wbs_proto::wbs_oauth::form_pairs(query).find("oauth_verifier") {
        return Ok(v.into_owned());
    }
    if !pasted.is_empty() && !pasted.contains(['=', '&', '?', ' ']) {
        return Ok(pasted.to_owned());
    }
    Err(Failure::new("that is not a verifier").hint("paste the verifier the page shows"))
}
