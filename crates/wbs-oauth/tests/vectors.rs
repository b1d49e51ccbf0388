//! Every case of the OAuth test-vector files yields its expected base string and signature,
//! both through the library and through the `vectors` example (the conformance runner).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wbs_oauth::{OAuthParams, Secret, SignatureMethod, Signer};

/// The copy kept in the repository, and the shared originals when the checkout has them.
fn vector_files() -> Vec<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![here.join("tests/data/oauth1-hmac-sha1.json")];
    if let Ok(dir) = std::fs::read_dir(here.join("../../../shared/vectors")) {
        let mut shared: Vec<_> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        shared.sort();
        files.extend(shared);
    }
    files
}

fn cases(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Value::Array(cases) => cases,
        _ => panic!("{} is not an array", path.display()),
    }
}

fn s<'a>(case: &'a Value, k: &str) -> Option<&'a str> {
    case.get(k).and_then(Value::as_str)
}

#[test]
fn library_matches_every_vector() {
    let mut checked = 0;
    for file in vector_files() {
        for case in cases(&file) {
            let name = s(&case, "name").unwrap();
            let params: Vec<(String, String)> = case["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let mut oauth = OAuthParams::new(
                s(&case, "consumer_key").unwrap(),
                s(&case, "nonce").unwrap(),
                s(&case, "timestamp").unwrap(),
            )
            .version(s(&case, "oauth_version").is_some());
            oauth.token = s(&case, "token");
            oauth.callback = s(&case, "callback");
            oauth.verifier = s(&case, "verifier");
            let method = SignatureMethod::from_name(s(&case, "signature_method").unwrap()).unwrap();
            let signer = Signer::new(
                method,
                &Secret::new(s(&case, "consumer_secret").unwrap()),
                s(&case, "token_secret").map(Secret::new).as_ref(),
            );
            let signed = signer
                .sign(
                    s(&case, "method").unwrap(),
                    s(&case, "url").unwrap(),
                    &params,
                    &oauth,
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Some(expected) = s(&case, "normalized_params") {
                assert_eq!(
                    signed.normalized_parameters(),
                    expected,
                    "{name}: normalized_params"
                );
            }
            assert_eq!(
                signed.base_string(),
                s(&case, "base_string").unwrap(),
                "{name}: base_string"
            );
            assert_eq!(
                signed.signature().to_wire(),
                s(&case, "signature").unwrap(),
                "{name}: signature"
            );
            checked += 1;
        }
    }
    assert!(checked >= 16, "only {checked} cases found");
}

#[test]
fn runner_prints_expected_lines() {
    let runner = env!("CARGO");
    for file in vector_files() {
        let out = Command::new(runner)
            .args(["run", "-q", "-p", "wbs-oauth", "--example", "vectors", "--"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let cases = cases(&file);
        assert_eq!(lines.len(), cases.len());
        for (line, case) in lines.iter().zip(&cases) {
            assert_eq!(line["name"], case["name"]);
            assert_eq!(line["base_string"], case["base_string"], "{}", case["name"]);
            assert_eq!(line["signature"], case["signature"], "{}", case["name"]);
        }
    }
}

#[test]
fn runner_reports_rejected_inputs_as_errors() {
    let dir = std::env::temp_dir().join(format!("wbs-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"[{"name":"bad_escape","method":"GET","url":"http://e.com/?a=%zz","params":[],
             "consumer_key":"k","consumer_secret":"cs","nonce":"n","timestamp":"1","signature_method":"HMAC-SHA1"},
            {"name":"ftp","method":"GET","url":"ftp://e.com/","params":[],
             "consumer_key":"k","consumer_secret":"cs","nonce":"n","timestamp":"1","signature_method":"HMAC-SHA1"}]"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "wbs-oauth", "--example", "vectors", "--"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["name"], "bad_escape");
    assert!(
        lines[0]["error"].as_str().unwrap().contains("hex"),
        "{}",
        lines[0]
    );
    assert!(lines[0].get("signature").is_none());
    assert!(lines[1]["error"].as_str().unwrap().contains("scheme"));
}
