//! Project automation, run as `cargo xtask <command>`:
//!
//! - `ci`: what `.ci/run` does: tests, clippy, docs, and a fuzz smoke run.
//! - `fuzz [TARGET] [--seconds N] [--smoke]`: runs cargo-fuzz targets (all when no TARGET;
//!   `--smoke` is 20 s each), installing cargo-fuzz when it is missing. Needs nightly.
//! - `bench`: runs the criterion benches and prints each function's mean and its ratio to
//!   its group's baselines (functions named `*_baseline`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("fuzz") => fuzz(&args[1..]),
        Some("bench") => bench(&args[1..]),
        _ => Err(
            "usage: cargo xtask ci | fuzz [TARGET] [--seconds N] [--smoke] | bench [FILTER]"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root());
    cmd
}

/// Cargo of the nightly toolchain (cargo-fuzz needs it). `$CARGO` is the stable
/// toolchain's own binary, which does not understand `+nightly`, so go through rustup.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .current_dir(root());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

/// The same steps as `.ci/run`.
fn ci() -> Result<(), String> {
    let mut test = cargo();
    test.args(["test", "--workspace"]);
    run(test, "cargo test --workspace")?;
    let mut features = cargo();
    features.args(["test", "-p", "wbs-model", "--all-features"]);
    run(features, "cargo test -p wbs-model --all-features")?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy, "cargo clippy")?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt, "cargo fmt --check")?;
    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-Dwarnings");
    run(doc, "cargo doc")?;
    fuzz(&["--smoke".to_owned()])
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let mut target = None;
    let mut seconds = 60u64;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--smoke" => seconds = 20,
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds takes a whole number")?;
            }
            t if !t.starts_with('-') && target.is_none() => target = Some(t.to_owned()),
            other => return Err(format!("fuzz: unknown argument {other}")),
        }
    }
    ensure_cargo_fuzz()?;
    let fuzz_dir = root().join("fuzz");
    let targets = match target {
        Some(t) => vec![t],
        None => fuzz_targets(&fuzz_dir)?,
    };
    let mut build = nightly_cargo();
    build.args(["fuzz", "build", "--fuzz-dir", "fuzz"]);
    run(build, "cargo fuzz build (nightly)")?;
    for t in &targets {
        // libFuzzer adds what it finds to the first corpus directory: a git-ignored one, so
        // the committed seeds stay small.
        let corpus = fuzz_dir.join("corpus").join(t);
        fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let mut cmd = nightly_cargo();
        cmd.args(["fuzz", "run", "--fuzz-dir", "fuzz", t])
            .arg(&corpus)
            .arg(fuzz_dir.join("seeds").join(t))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-max_len=65536")
            .arg("-rss_limit_mb=2048");
        run(cmd, &format!("fuzz {t} for {seconds} s"))?;
    }
    Ok(())
}

/// The targets are the files of `fuzz/fuzz_targets/`.
fn fuzz_targets(fuzz_dir: &Path) -> Result<Vec<String>, String> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    Ok(names)
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    let mut install = cargo();
    install.args(["install", "--locked", "cargo-fuzz"]);
    run(install, "cargo install --locked cargo-fuzz")
}

fn bench(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "wbs-benches"]);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run(cmd, "cargo bench -p wbs-benches")?;
    let dir = root().join("target").join("criterion");
    let mut groups: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "report"))
        .collect();
    groups.sort();
    println!(
        "{:<10} {:<28} {:>14}  ratio to baseline(s)",
        "group", "function", "mean"
    );
    for group in groups {
        let mut functions: Vec<(String, f64)> = fs::read_dir(&group)
            .map_err(|e| format!("{}: {e}", group.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_owned();
                let text = fs::read_to_string(p.join("new").join("estimates.json")).ok()?;
                Some((name, mean_ns(&text)?))
            })
            .collect();
        functions.sort_by(|a, b| a.0.cmp(&b.0));
        let baselines: Vec<&(String, f64)> = functions
            .iter()
            .filter(|f| f.0.ends_with("_baseline"))
            .collect();
        let group_name = group.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        for (name, mean) in &functions {
            let ratios: Vec<String> = baselines
                .iter()
                .map(|(b, base)| format!("{:.2}x {b}", mean / base))
                .collect();
            println!(
                "{group_name:<10} {name:<28} {:>11.1} ns  {}",
                mean,
                ratios.join(", ")
            );
        }
    }
    Ok(())
}

/// `mean.point_estimate` of a criterion `estimates.json`, without a JSON dependency.
fn mean_ns(text: &str) -> Option<f64> {
    let mean = text.find("\"mean\"")?;
    let rest = text.get(mean..)?;
    let at = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let number: String = rest
        .get(at..)?
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number.parse().ok()
}
