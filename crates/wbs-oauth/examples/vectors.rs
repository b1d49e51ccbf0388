//! The conformance runner of `../shared/vectors/README.md`: reads a file of OAuth 1.0a
//! signing cases and prints, per case, one JSON line with `name`, `base_string` and
//! `signature` computed from the inputs alone (or `name` and `error`).
//!
//! ```text
//! cargo run -q -p wbs-oauth --example vectors -- ../shared/vectors/oauth1-hmac-sha1.json
//! ```

use std::process::ExitCode;

use serde_json::{json, Value};
use wbs_oauth::{OAuthParams, Secret, SignatureMethod, Signer};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: vectors FILE.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vectors: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let cases: Vec<Value> = match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => cases,
        Ok(_) => {
            eprintln!("vectors: {path}: expected a JSON array of cases");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("vectors: {path}: not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    for case in &cases {
        let name = case.get("name").cloned().unwrap_or(Value::Null);
        let line = match run(case) {
            Ok((base_string, signature)) => {
                json!({"name": name, "base_string": base_string, "signature": signature})
            }
            Err(error) => json!({"name": name, "error": error}),
        };
        println!("{line}");
    }
    ExitCode::SUCCESS
}

/// Signs one case from its inputs (never reading the expected fields).
fn run(case: &Value) -> Result<(String, String), String> {
    let field = |k: &str| -> Result<Option<&str>, String> {
        match case.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("field {k} is not a string")),
        }
    };
    let required = |k: &str| field(k)?.ok_or_else(|| format!("missing field {k}"));

    let method_name = field("signature_method")?.unwrap_or("HMAC-SHA1");
    let method = SignatureMethod::from_name(method_name)
        .ok_or_else(|| format!("unsupported signature_method {method_name}"))?;
    let params = match case.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([Value::String(n), Value::String(v)]) => Ok((n.clone(), v.clone())),
                _ => Err("params must be [name, value] string pairs".to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("params must be an array".to_owned()),
    };
    let consumer_secret = Secret::new(required("consumer_secret")?);
    let token_secret = field("token_secret")?.map(Secret::new);
    let version = match field("oauth_version")? {
        None => false,
        Some("1.0") => true,
        Some(_) => return Err("only oauth_version 1.0 can be sent".to_owned()),
    };
    let mut oauth = OAuthParams::new(
        required("consumer_key")?,
        required("nonce")?,
        required("timestamp")?,
    )
    .version(version);
    oauth.token = field("token")?;
    oauth.callback = field("callback")?;
    oauth.verifier = field("verifier")?;

    let signer = Signer::new(method, &consumer_secret, token_secret.as_ref());
    let signed = signer
        .sign(required("method")?, required("url")?, &params, &oauth)
        .map_err(|e| e.to_string())?;
    Ok((
        signed.base_string().to_owned(),
        signed.signature().to_wire(),
    ))
}
