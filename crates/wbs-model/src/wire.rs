//! The wire names of a measure group's and a measure's fields: one list for every reader of
//! the wire form (this crate's tolerant decoder, and `wbs-proto`'s fast path), each field
//! at the index both use.
//!
//! ```
//! use wbs_model::wire::{group_field, measure_field, GROUP_MEASURES, GROUP_TEXTS};
//! assert_eq!(group_field(b"grpid"), Some(0));
//! assert_eq!(group_field(b"model_id"), group_field(b"modelid"));
//! assert!(group_field(b"comment").is_some_and(|i| (GROUP_TEXTS..GROUP_MEASURES).contains(&i)));
//! assert_eq!(group_field(b"measures"), Some(GROUP_MEASURES));
//! assert_eq!(measure_field(b"unit"), Some(1));
//! assert_eq!(group_field(b"unknown"), None);
//! ```

/// A group's fields, each at its index: the integers (before [`GROUP_TEXTS`]), the texts
/// (from [`GROUP_TEXTS`] to [`GROUP_MEASURES`]), then `measures`.
pub const GROUP_FIELDS: [&str; 13] = [
    "grpid",
    "attrib",
    "date",
    "category",
    "created",
    "modified",
    "modelid",
    "deviceid",
    "hash_deviceid",
    "model",
    "timezone",
    "comment",
    "measures",
];

/// The index in [`GROUP_FIELDS`] of the first text field.
pub const GROUP_TEXTS: usize = 7;

/// The index in [`GROUP_FIELDS`] of `measures`.
pub const GROUP_MEASURES: usize = 12;

/// Today's service's name of `modelid`.
pub const MODEL_ID: &str = "model_id";

/// A measure's fields, each at its index (all integers).
pub const MEASURE_FIELDS: [&str; 6] = ["value", "unit", "type", "position", "algo", "fm"];

/// The index in [`GROUP_FIELDS`] of the group field named `key` ([`MODEL_ID`] is
/// `modelid`'s); `None` for a key groups do not have.
pub fn group_field(key: &[u8]) -> Option<usize> {
    GROUP_FIELDS
        .iter()
        .position(|f| f.as_bytes() == key)
        .or_else(|| (key == MODEL_ID.as_bytes()).then_some(6))
}

/// The index in [`MEASURE_FIELDS`] of the measure field named `key`.
pub fn measure_field(key: &[u8]) -> Option<usize> {
    MEASURE_FIELDS.iter().position(|f| f.as_bytes() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_constants_name_their_fields() {
        assert_eq!(GROUP_FIELDS[GROUP_TEXTS], "deviceid");
        assert_eq!(GROUP_FIELDS[GROUP_TEXTS - 1], "modelid");
        assert_eq!(GROUP_FIELDS[GROUP_MEASURES], "measures");
        assert_eq!(group_field(MODEL_ID.as_bytes()), group_field(b"modelid"));
    }
}
