//! Fault injection: what a network and a busy server do to requests, seeded and
//! reproducible, at a rate or scripted.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// One way a request can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The connection closes without an answer.
    Drop,
    /// The answer comes after this long (past a client's timeout).
    Delay(Duration),
    /// HTTP 500.
    Http500,
    /// HTTP 503.
    Http503,
    /// HTTP 200 with `{"status":2555}` (an unknown error).
    Status2555,
    /// The right answer, cut in half.
    Truncate,
    /// HTTP 200 with `{"status":601}` (rate limited).
    RateLimit,
}

impl FromStr for Fault {
    type Err = FaultSpecError;

    /// `drop`, `delay` (5 s) or `delayMS` (`delay250`), `500`, `503`, `2555`,
    /// `truncate`, `601`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "drop" => Self::Drop,
            "500" => Self::Http500,
            "503" => Self::Http503,
            "2555" => Self::Status2555,
            "truncate" => Self::Truncate,
            "601" => Self::RateLimit,
            "delay" => Self::Delay(Duration::from_secs(5)),
            other => match other
                .strip_prefix("delay")
                .and_then(|ms| ms.parse::<u64>().ok())
            {
                Some(ms) => Self::Delay(Duration::from_millis(ms)),
                None => return Err(FaultSpecError(format!("unknown fault {other:?}"))),
            },
        })
    }
}

/// Which faults to inject.
///
/// ```
/// use wbs_sim::{Fault, Faults};
/// let mut plan: Faults = "rate=0.2,kinds=drop+503+2555+truncate,seed=7,getmeas#3=503".parse().unwrap();
/// assert_eq!(plan.pick("getmeas").filter(|_| false), None);
/// let mut scripted = Faults::none().script("getmeas", 2, Fault::Http503);
/// assert_eq!(scripted.pick("getmeas"), None);
/// assert_eq!(scripted.pick("probe"), None);
/// assert_eq!(scripted.pick("getmeas"), Some(Fault::Http503));
/// assert_eq!(scripted.pick("getmeas"), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Faults {
    rate: f64,
    kinds: Vec<Fault>,
    rng: fastrand::Rng,
    script: Vec<(String, u32, Fault)>,
    counts: HashMap<String, u32>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Fails a fraction `rate` (0 to 1) of requests with one of `kinds`, chosen by a
    /// generator seeded with `seed`.
    pub fn random(rate: f64, kinds: Vec<Fault>, seed: u64) -> Self {
        Self {
            rate: rate.clamp(0.0, 1.0),
            kinds,
            rng: fastrand::Rng::with_seed(seed),
            ..Self::default()
        }
    }

    /// Also fails the `nth` (1-based) request of `action` with `fault`.
    pub fn script(mut self, action: &str, nth: u32, fault: Fault) -> Self {
        self.script.push((action.to_owned(), nth, fault));
        self
    }

    /// The fault for the next request of `action`, if any.
    pub fn pick(&mut self, action: &str) -> Option<Fault> {
        let count = self.counts.entry(action.to_owned()).or_insert(0);
        *count += 1;
        let n = *count;
        if let Some((_, _, fault)) = self
            .script
            .iter()
            .find(|(a, nth, _)| a == action && *nth == n)
        {
            return Some(*fault);
        }
        if self.kinds.is_empty() || self.rate <= 0.0 {
            return None;
        }
        if self.rng.f64() >= self.rate {
            return None;
        }
        let i = self.rng.usize(..self.kinds.len());
        self.kinds.get(i).copied()
    }
}

impl FromStr for Faults {
    type Err = FaultSpecError;

    /// Comma-separated: `rate=R`, `kinds=K+K+…`, `seed=S`, and `ACTION#N=FAULT` entries.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (mut rate, mut kinds, mut seed, mut script) = (0.0, Vec::new(), 1u64, Vec::new());
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("{item:?} is not key=value")))?;
            match key {
                "rate" => {
                    rate = value
                        .parse()
                        .map_err(|_| FaultSpecError(format!("rate {value:?} is not a number")))?
                }
                "seed" => {
                    seed = value
                        .parse()
                        .map_err(|_| FaultSpecError(format!("seed {value:?} is not a number")))?
                }
                "kinds" => kinds = value.split('+').map(str::parse).collect::<Result<_, _>>()?,
                scripted => {
                    let (action, nth) = scripted
                        .split_once('#')
                        .ok_or_else(|| FaultSpecError(format!("unknown key {scripted:?}")))?;
                    let nth = nth
                        .parse()
                        .map_err(|_| FaultSpecError(format!("{nth:?} is not a request number")))?;
                    script.push((action.to_owned(), nth, value.parse()?));
                }
            }
        }
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultSpecError("rate must be between 0 and 1".into()));
        }
        let mut faults = Self::random(rate, kinds, seed);
        faults.script = script;
        Ok(faults)
    }
}

/// A fault specification that cannot be read; the text says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault specification: {0}")]
pub struct FaultSpecError(String);
