//! Printing: a table for people, JSON and CSV for programs.

use clap::ValueEnum;
use serde_json::{json, Value};
use wbs_hyper::{MeasureGroup, MeasureType, Notification, Subscription, Units, User};

use crate::dates;

/// How data is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
    /// Comma-separated values with a header.
    Csv,
}

/// The warning for a malformed group a sync or an export left out.
pub fn warn_skipped(s: &wbs_hyper::SkippedGroup) {
    match s.grpid {
        Some(id) => eprintln!(
            "wbs: warning: measure group {id} was malformed and left out: {}",
            s.reason
        ),
        None => eprintln!(
            "wbs: warning: a measure group was malformed and left out: {}",
            s.reason
        ),
    }
}

pub fn message(format: Format, text: &str, value: Value) {
    match format {
        Format::Json => out!("{value}"),
        Format::Table | Format::Csv => out!("{text}"),
    }
}

/// Prints a list as JSON (an array) or CSV (`header`, then `row` of each); `false` for the
/// table format, which each list prints its own way.
fn json_or_csv<T: serde::Serialize>(
    format: Format,
    items: &[T],
    header: &str,
    row: impl Fn(&T) -> String,
) -> bool {
    match format {
        Format::Json => out!("{}", json!(items)),
        Format::Csv => {
            out!("{header}");
            for item in items {
                out!("{}", row(item));
            }
        }
        Format::Table => return false,
    }
    true
}

pub fn users(format: Format, users: &[User]) {
    let row = |u: &User| {
        format!(
            "{},{},{},{},{},{}",
            u.id,
            csv(u.firstname.as_deref().unwrap_or("")),
            csv(u.lastname.as_deref().unwrap_or("")),
            csv(u.shortname.as_deref().unwrap_or("")),
            u.gender.map(|g| g.code().to_string()).unwrap_or_default(),
            u.birthdate
                .map(|b| dates::format(b.secs()))
                .unwrap_or_default()
        )
    };
    if json_or_csv(
        format,
        users,
        "id,firstname,lastname,shortname,gender,birthdate",
        row,
    ) {
        return;
    }
    for u in users {
        out!(
            "user {}: {} {}",
            u.id,
            u.firstname.as_deref().unwrap_or("?"),
            u.lastname.as_deref().unwrap_or("")
        );
        if let Some(b) = u.birthdate {
            out!("  born {}", dates::format(b.secs()).get(..10).unwrap_or(""));
        }
    }
}

/// One measure's printed form: the wire triple as received, its exact value, its unit.
fn measure_json(m: &wbs_hyper::Measure, units: Units) -> Value {
    let q = m.quantity();
    let shown = q.in_units(units).unwrap_or(q);
    json!({
        "type": m.measure_type.code(),
        "name": m.measure_type.name(),
        "value": m.value,
        "unit": m.unit,
        "scaled": shown.value.to_string(),
        "unit_name": shown.unit.symbol(),
    })
}

pub fn groups(format: Format, groups: &[MeasureGroup], units: Units, only: Option<MeasureType>) {
    let keep = |m: &&wbs_hyper::Measure| only.is_none_or(|t| m.measure_type == t);
    match format {
        Format::Json => {
            let list: Vec<Value> = groups
                .iter()
                .map(|g| {
                    json!({
                        "grpid": g.grpid,
                        "date": g.date,
                        "attrib": g.attrib.code(),
                        "category": g.category.code(),
                        "measures": g.measures.iter().filter(keep).map(|m| measure_json(m, units)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            out!("{}", Value::Array(list));
        }
        Format::Csv => {
            out!("date,grpid,attrib,category,type,value,unit,scaled,unit_name");
            for g in groups {
                for m in g.measures.iter().filter(keep) {
                    let j = measure_json(m, units);
                    out!(
                        "{},{},{},{},{},{},{},{},{}",
                        dates::format(g.date.secs()),
                        g.grpid,
                        g.attrib.code(),
                        g.category.code(),
                        m.measure_type.code(),
                        m.value,
                        m.unit,
                        j["scaled"].as_str().unwrap_or(""),
                        csv(j["unit_name"].as_str().unwrap_or(""))
                    );
                }
            }
        }
        Format::Table => {
            out!(
                "{:<20}  {:>10}  {:<26}  VALUE",
                "DATE (UTC)",
                "GROUP",
                "TYPE"
            );
            for g in groups {
                for m in g.measures.iter().filter(keep) {
                    let q = m.quantity();
                    let shown = q.in_units(units).unwrap_or(q);
                    out!(
                        "{:<20}  {:>10}  {:<26}  {}",
                        dates::format(g.date.secs()),
                        g.grpid.get(),
                        m.measure_type.name(),
                        shown
                    );
                }
            }
        }
    }
}

pub fn subscriptions(format: Format, list: &[Subscription]) {
    let row = |s: &Subscription| format!("{},{}", s.expires, csv(&s.comment));
    if json_or_csv(format, list, "expires,comment", row) {
        return;
    }
    if list.is_empty() {
        out!("no subscriptions");
    }
    for s in list {
        let expires = if s.expires.secs() == i64::from(i32::MAX) {
            "never".to_owned()
        } else {
            dates::format(s.expires.secs())
        };
        out!("{}  (expires {expires})", s.comment);
    }
}

pub fn notification(format: Format, n: &Notification) {
    match format {
        Format::Json => out!("{}", json!(n)),
        Format::Csv => out!(
            "{},{},{},{}",
            n.userid,
            n.startdate,
            n.enddate,
            n.appli.map(|a| a.code().to_string()).unwrap_or_default()
        ),
        Format::Table => out!(
            "user {}: new data between {} and {}",
            n.userid,
            dates::format(n.startdate.secs()),
            dates::format(n.enddate.secs())
        ),
    }
}

/// A spinner on a terminal, nothing otherwise.
pub fn progress() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// A CSV field, quoted when it must be.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
