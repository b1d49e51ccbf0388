//! Churn: the sandbox changing a user's data between getmeas pages, as a person's app does
//! at any moment (a back-dated manual entry, a deleted weighing), to test that clients
//! page exactly under change.

use wbs_proto::wbs_model::{
    Attribution, Category, DeviceType, Measure, MeasureGroup, MeasureType, Timestamp, UserId,
};

use super::{Sandbox, Stored};

/// What the sandbox changes before every getmeas page after a user's first: `inserts`
/// groups at random dates within the user's history, and `deletes` of groups it has
/// already sent, chosen by a generator seeded with `seed`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Churn {
    /// Back-dated groups inserted before each page.
    pub inserts: u32,
    /// Already-served groups deleted before each page.
    pub deletes: u32,
    /// The generator's seed.
    pub seed: u64,
}

impl Churn {
    /// `inserts` back-dated groups and `deletes` of sent ones before every page, seeded.
    pub fn new(inserts: u32, deletes: u32, seed: u64) -> Self {
        Self {
            inserts,
            deletes,
            seed,
        }
    }
}

/// The churn plan and its generator.
#[derive(Clone, Debug)]
pub(super) struct ChurnState {
    plan: Churn,
    rng: fastrand::Rng,
}

impl ChurnState {
    pub(super) fn new(plan: Churn) -> Self {
        let rng = fastrand::Rng::with_seed(plan.seed);
        Self { plan, rng }
    }
}

impl Sandbox {
    /// Changes data between getmeas requests (`None`: never, the default). Subscribers
    /// are not notified of these changes.
    pub fn set_churn(&mut self, churn: Option<Churn>) {
        self.churn = churn.map(ChurnState::new);
    }

    /// Applies the churn plan to a user who has been served a page before.
    pub(super) fn churn_before_page(&mut self, userid: UserId, now: u64) {
        let Some(state) = self.churn.as_mut() else {
            return;
        };
        let Some(user) = self.users.get_mut(&userid) else {
            return;
        };
        if user.served.is_empty() {
            return;
        }
        let (oldest, newest) = user
            .groups
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), s| {
                (lo.min(s.group.date.secs()), hi.max(s.group.date.secs()))
            });
        for _ in 0..state.plan.deletes {
            let served: Vec<_> = user
                .groups
                .iter()
                .enumerate()
                .filter(|(_, s)| user.served.contains(&s.group.grpid))
                .map(|(i, _)| i)
                .collect();
            if served.is_empty() {
                break;
            }
            if let Some(&at) = served.get(state.rng.usize(..served.len())) {
                user.groups.swap_remove(at);
            }
        }
        for _ in 0..state.plan.inserts {
            if oldest > newest {
                break;
            }
            let date = state.rng.i64(oldest..=newest);
            let grpid = self.next_grpid.into();
            self.next_grpid += 1;
            let weight = Measure::new(MeasureType::WEIGHT, state.rng.i64(55_000..=110_000), -3);
            user.groups.push(Stored {
                group: MeasureGroup::new(
                    grpid,
                    Attribution::MANUAL,
                    Timestamp::from_secs(date),
                    Category::MEASURE,
                    vec![weight],
                ),
                devtype: DeviceType::BODY_SCALE,
                changed: i64::try_from(now).unwrap_or(i64::MAX),
            });
        }
    }
}
