//! Turns `codes.tsv`, the reference's code tables kept as data, into each code type's
//! constants and descriptions (`$OUT_DIR/codes.rs`, included by `src/codes.rs`).
//!
//! A row the table cannot hold (a field missing, a name that is not an identifier, a code
//! that is not an integer, a code or constant twice in one type, a type's rows apart)
//! stops the build naming its line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // cargo shows a build script's panic as its error

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::{env, fs, path::Path};

/// One code of a type.
struct Row<'a> {
    konst: &'a str,
    code: i64,
    description: &'a str,
    doc: &'a str,
}

fn main() {
    println!("cargo::rerun-if-changed=codes.tsv");
    let table = fs::read_to_string("codes.tsv").expect("codes.tsv is readable");
    let mut types: Vec<(&str, Vec<Row>)> = Vec::new();
    let mut seen = BTreeMap::<&str, (HashSet<&str>, HashSet<i64>)>::new();
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fail = |why: &str| -> ! { panic!("codes.tsv:{}: {why}", n + 1) };
        let fields: Vec<&str> = line.split('\t').collect();
        let [ty, konst, code, description, doc] = fields[..] else {
            fail("expected 5 tab-separated fields")
        };
        for name in [ty, konst] {
            let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ident {
                fail(&format!("{name:?} is not an identifier"));
            }
        }
        let code: i64 = code
            .parse()
            .unwrap_or_else(|_| fail(&format!("{code:?} is not an integer")));
        match types.last_mut() {
            Some((last, rows)) if *last == ty => rows.push(Row {
                konst,
                code,
                description,
                doc,
            }),
            _ if seen.contains_key(ty) => fail(&format!("{ty}'s rows are not together")),
            _ => types.push((
                ty,
                vec![Row {
                    konst,
                    code,
                    description,
                    doc,
                }],
            )),
        }
        let (konsts, codes) = seen.entry(ty).or_default();
        if !konsts.insert(konst) || !codes.insert(code) {
            fail(&format!("{ty} has {konst} or code {code} twice"));
        }
    }
    // Each type: one `known_codes!` invocation, a doc "0: …" (or "401 (remark): …") each.
    let mut out = String::new();
    for (ty, rows) in &types {
        let _ = writeln!(out, "known_codes! {{ {ty} {{");
        for Row {
            konst,
            code,
            description,
            doc,
        } in rows
        {
            let sep = if doc.starts_with('(') { " " } else { ": " };
            let _ = writeln!(
                out,
                "    #[doc = {:?}] {konst} = {code} => {description:?},",
                format!("{code}{sep}{doc}")
            );
        }
        out.push_str("}}\n");
    }
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("codes.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
