//! `wbs auth login`: the three-legged flow, and the credentials saved for later commands.

use std::net::SocketAddr;

use serde_json::json;

use crate::args::Cli;
use crate::config::{config_path, Settings};
use crate::files::write_durably;
use crate::Failure;

pub(crate) async fn login(
    cli: &Cli,
    s: &Settings,
    callback_addr: SocketAddr,
) -> Result<(), Failure> {
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
    let access = dance
        .access_token(&request_token, &approved.verifier)
        .await?;
    let (token, userid) = (access.token, access.userid);
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
    write_durably(
        &path,
        &serde_json::to_vec_pretty(&config).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    eprintln!(
        "wbs: authorized for user {userid}; credentials saved in {}",
        path.display()
    );
    Ok(())
}
