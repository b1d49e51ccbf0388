//! `wbs oauth`: the OAuth checker the API reference asks developers to use: sign and show
//! every step, or say why a signed URL does not verify.

use wbs_proto::wbs_oauth::{IncomingRequest, OAuthParams, SignatureMethod, Signer};

use crate::args::OauthCommand;
use crate::config::Settings;
use crate::Failure;

pub(crate) fn oauth(cmd: &OauthCommand, s: &Settings) -> Result<(), Failure> {
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
            out!("normalized parameters: {}", signed.normalized_parameters());
            out!("base string:           {}", signed.base_string());
            out!("signature:             {}", signed.signature().to_wire());
            out!("signed URL:            {}", signed.query_url());
        }
        OauthCommand::Verify { url, method } => {
            let got = IncomingRequest::parse(method, url, None, None)
                .map_err(|e| Failure::new(format!("not a signed request: {e}")))?;
            match got.verify(
                SignatureMethod::ALL,
                &consumer.secret,
                token_secret.as_ref(),
            ) {
                Ok(()) => out!("the signature verifies"),
                Err(e) => {
                    out!("the signature does not verify: {e}");
                    // The usual mistakes, tried in turn.
                    if token_secret.is_some()
                        && got
                            .verify(SignatureMethod::ALL, &consumer.secret, None)
                            .is_ok()
                    {
                        out!("it verifies without the token secret: the signer left the token secret out of the key");
                    } else if let Some(ts) = &token_secret {
                        if got
                            .verify(SignatureMethod::ALL, ts, Some(&consumer.secret))
                            .is_ok()
                        {
                            out!("it verifies with the two secrets swapped");
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
                            r.verify(
                                SignatureMethod::ALL,
                                &consumer.secret,
                                token_secret.as_ref(),
                            )
                            .is_ok()
                        })
                    };
                    if verifies_as(other_method, url) {
                        out!("it verifies as a {other_method} request: the method differs");
                    }
                    if let Some(u) = other_scheme.as_deref().filter(|u| verifies_as(method, u)) {
                        out!(
                            "it verifies as {}: the scheme differs",
                            u.split("://").next().unwrap_or("")
                        );
                    }
                    if s.consumer
                        .as_ref()
                        .is_some_and(|c| c.key != got.consumer_key())
                    {
                        out!("the URL's oauth_consumer_key is not the one given");
                    }
                    out!(
                        "the base string these secrets sign is:\n{}",
                        got.base_string()
                    );
                    out!("compare it with the signer's: the first difference is the bug");
                    return Err(Failure::new("signature does not verify"));
                }
            }
        }
    }
    Ok(())
}
