//! Generated histories: many users with years of realistic measures, deterministic from a
//! seed.

use wbs_proto::wbs_model::{
    Attribution, Category, DeviceType, Gender, GroupId, Measure, MeasureGroup, MeasureType,
    Timestamp, User, UserId,
};
use wbs_proto::wbs_oauth::Credentials;

use crate::sandbox::Sandbox;

/// First id of generated users (the reference's users are 29 and 1229).
pub const FIRST_GENERATED_USER: i64 = 10_000;

impl Sandbox {
    /// The reference's data and `users` generated users ([`Sandbox::generate`]): the
    /// sandbox most tests start.
    ///
    /// ```
    /// let sandbox = wbs_sim::Sandbox::generated(2, 100, 7, 1_700_000_000);
    /// assert_eq!(sandbox.users().count(), 4);
    /// ```
    pub fn generated(users: u32, groups: u32, seed: u64, now: i64) -> Self {
        let mut sandbox = Self::with_reference_data();
        sandbox.generate(users, groups, seed, now);
        sandbox
    }

    /// Adds `users` users with `groups` measure groups each, one about every day back from
    /// `now`: weighings (weight as a slow random walk, with fat ratio, fat mass and fat-free
    /// mass that add up) and, one time in four, blood pressure with heart pulse. The same
    /// seed gives the same data.
    ///
    /// ```
    /// let mut a = wbs_sim::Sandbox::with_reference_data();
    /// let mut b = wbs_sim::Sandbox::with_reference_data();
    /// a.generate(2, 100, 7, 1_700_000_000);
    /// b.generate(2, 100, 7, 1_700_000_000);
    /// assert_eq!(a.users().count(), 4);
    /// assert_eq!(format!("{:?}", a.users().last()), format!("{:?}", b.users().last()));
    /// ```
    pub fn generate(&mut self, users: u32, groups: u32, seed: u64, now: i64) {
        for u in 0..users {
            let id = FIRST_GENERATED_USER + i64::from(u);
            let mut rng =
                fastrand::Rng::with_seed(seed ^ (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let user = User {
                id: UserId::new(id),
                firstname: Some(format!("User{u}")),
                lastname: Some("Sandbox".into()),
                shortname: Some(format!("U{u:02}")),
                gender: Some(Gender::from_code(rng.i64(0..=1))),
                fatmethod: Some(0),
                birthdate: Some(Timestamp::from_secs(rng.i64(0..=900_000_000))),
            };
            let token = Credentials::new(
                format!("sandbox-token-{id}"),
                format!("sandbox-token-secret-{id}"),
            );
            self.add_user(user, token);
            let mut weight = rng.i64(55_000..=110_000); // grams
            let mut fat = rng.i64(120..=350); // tenths of a percent
            for g in 0..i64::from(groups) {
                let date = now - g * 86_400 - rng.i64(0..=7_200);
                let grpid = GroupId::new(id * 1_000_000 + g);
                let (measures, devtype) = if rng.i64(0..=3) == 0 {
                    let systolic = rng.i64(105..=145);
                    let measures = vec![
                        Measure::new(
                            MeasureType::DIASTOLIC_BLOOD_PRESSURE,
                            systolic - rng.i64(35..=45),
                            0,
                        ),
                        Measure::new(MeasureType::SYSTOLIC_BLOOD_PRESSURE, systolic, 0),
                        Measure::new(MeasureType::HEART_PULSE, rng.i64(55..=90), 0),
                    ];
                    (measures, DeviceType::BLOOD_PRESSURE_MONITOR)
                } else {
                    weight = (weight + rng.i64(-300..=300)).clamp(40_000, 150_000);
                    fat = (fat + rng.i64(-3..=3)).clamp(50, 450);
                    let fat_mass = weight * fat / 1_000;
                    let mut measures = vec![Measure::new(MeasureType::WEIGHT, weight, -3)];
                    let extra = rng.i64(0..=3);
                    if extra >= 1 {
                        measures.push(Measure::new(MeasureType::FAT_RATIO, fat, -1));
                    }
                    if extra >= 2 {
                        measures.push(Measure::new(MeasureType::FAT_MASS_WEIGHT, fat_mass, -3));
                    }
                    if extra >= 3 {
                        measures.push(Measure::new(
                            MeasureType::FAT_FREE_MASS,
                            weight - fat_mass,
                            -3,
                        ));
                    }
                    (measures, DeviceType::BODY_SCALE)
                };
                let group = MeasureGroup::new(
                    grpid,
                    Attribution::DEVICE,
                    Timestamp::from_secs(date),
                    Category::MEASURE,
                    measures,
                );
                self.push_new_group(UserId::new(id), group, devtype, date);
            }
        }
    }
}
