//! The reference's own examples as the sandbox's starting data.

use wbs_proto::wbs_model::{
    Attribution, Category, DeviceType, Gender, Measure, MeasureGroup, MeasureType, Timestamp, User,
    UserId,
};
use wbs_proto::wbs_oauth::Credentials;

use super::{Sandbox, SimConfig};

impl Sandbox {
    /// The reference's examples: user 29 (John Doe) with measure groups 2909 and 2908 as
    /// in the getmeas example, and user 1229 (anonymous: id and first name only).
    /// Credentials are fixed so that examples and tests can name them.
    pub fn with_reference_data() -> Self {
        let mut sim = Self::new(
            Credentials::new("wbs-sandbox-consumer-key", "wbs-sandbox-consumer-secret"),
            SimConfig::default(),
        );
        let john = User {
            id: UserId::new(29),
            firstname: Some("John".into()),
            lastname: Some("Doe".into()),
            shortname: Some("JON".into()),
            gender: Some(Gender::MALE),
            fatmethod: Some(0),
            birthdate: Some(Timestamp::from_secs(211_629_600)),
        };
        sim.add_user(
            john,
            Credentials::new("wbs-sandbox-token-29", "wbs-sandbox-token-secret-29"),
        );
        let anonymous = User {
            id: UserId::new(1229),
            firstname: Some("Guest".into()),
            lastname: None,
            shortname: None,
            gender: None,
            fatmethod: None,
            birthdate: None,
        };
        sim.add_user(
            anonymous,
            Credentials::new("wbs-sandbox-token-1229", "wbs-sandbox-token-secret-1229"),
        );
        let date = Timestamp::from_secs(1_222_930_968);
        let weighing = MeasureGroup::new(
            2909.into(),
            Attribution::DEVICE,
            date,
            Category::MEASURE,
            vec![
                Measure::new(MeasureType::WEIGHT, 79_300, -3),
                Measure::new(MeasureType::FAT_FREE_MASS, 652, -1),
                Measure::new(MeasureType::FAT_RATIO, 178, -1),
                Measure::new(MeasureType::FAT_MASS_WEIGHT, 14_125, -3),
            ],
        );
        let height = MeasureGroup::new(
            2908.into(),
            Attribution::DEVICE,
            date,
            Category::MEASURE,
            vec![Measure::new(MeasureType::HEIGHT, 173, -2)],
        );
        sim.insert_group(
            UserId::new(29),
            weighing,
            DeviceType::BODY_SCALE,
            1_249_409_679,
        );
        sim.insert_group(UserId::new(29), height, DeviceType::USER, 1_249_409_679);
        sim
    }
}
