//! Shared fixtures for the benches.

/// A getmeas response of `groups` groups with one to four measures each (weight, fat
/// ratio, fat mass, fat-free mass, or blood pressure and pulse), deterministic.
pub fn getmeas_body(groups: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
    let mut next = move || rng.u64(..);
    let mut out = String::with_capacity(groups * 170);
    out.push_str(r#"{"status":0,"body":{"updatetime":1700000000,"more":0,"timezone":"Europe/Paris","measuregrps":["#);
    for i in 0..groups {
        if i > 0 {
            out.push(',');
        }
        let grpid = 900_000_000 - i as u64 * 7;
        let date = 1_700_000_000 - i as u64 * 3_600;
        let kind = next() % 10;
        let measures: Vec<(i64, i64, i32)> = if kind < 3 {
            let sys = 110 + (next() % 30) as i64;
            vec![
                (sys - 40, 9, 0),
                (sys, 10, 0),
                (55 + (next() % 40) as i64, 11, 0),
            ]
        } else {
            let w = 60_000 + (next() % 40_000) as i64;
            let n = 1 + (next() % 4) as usize;
            [
                (w, 1, -3),
                (150 + (next() % 150) as i64, 6, -1),
                (w / 5, 8, -3),
                (w * 4 / 5, 5, -3),
            ][..n]
                .to_vec()
        };
        out.push_str(&format!(
            r#"{{"grpid":{grpid},"attrib":0,"date":{date},"category":1,"measures":["#
        ));
        for (j, (value, t, unit)) in measures.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&format!(r#"{{"value":{value},"type":{t},"unit":{unit}}}"#));
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixture_is_the_size_the_issue_names() {
        let body = super::getmeas_body(2048);
        assert!((300_000..360_000).contains(&body.len()), "{}", body.len());
    }
}
