//! Turns `codes.tsv`, the reference's code tables kept as data, into each code type's
//! constants and descriptions (`$OUT_DIR/codes.rs`, included by `src/codes.rs`).

use std::fmt::Write as _;
use std::{env, fs, path::Path};

fn main() {
    println!("cargo::rerun-if-changed=codes.tsv");
    let table = fs::read_to_string("codes.tsv").expect("codes.tsv is readable");
    // Rows of one type are together; each type becomes one `known_codes!` invocation.
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [ty, konst, code, description, doc] = fields[..] else {
            panic!("codes.tsv:{}: expected 5 tab-separated fields", n + 1);
        };
        code.parse::<i64>()
            .unwrap_or_else(|_| panic!("codes.tsv:{}: {code:?} is not an integer", n + 1));
        if current != Some(ty) {
            if current.is_some() {
                out.push_str("}}\n");
            }
            let _ = writeln!(out, "known_codes! {{ {ty} {{");
            current = Some(ty);
        }
        // "401 (today's service): …" when the doc starts with a remark, else "0: …".
        let sep = if doc.starts_with('(') { " " } else { ": " };
        let _ = writeln!(
            out,
            "    #[doc = {:?}] {konst} = {code} => {description:?},",
            format!("{code}{sep}{doc}")
        );
    }
    if current.is_some() {
        out.push_str("}}\n");
    }
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("codes.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
