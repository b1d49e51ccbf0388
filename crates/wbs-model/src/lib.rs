//! The Withings Body metrics Services (WBS) API's data types, with exact unit scaling.
//!
//! A measure arrives as `{"value":79300,"unit":-3,"type":1}` and means 79.3 kg (the
//! reference: "real_value = value * 10^unit"). This crate keeps the wire triple exactly and
//! gives its value as an exact [`Decimal`]: never a float artefact such as
//! `3.2600000000000002 kg`.
//!
//! ```text
//!   JSON bytes ──serde──> tolerant policy (wbs_model::tolerant: ints as numbers or strings,
//!                          text as strings or numbers, unknown fields ignored)
//!                            │
//!   DecodedPage { MeasurePage { MeasureGroup { Measure { value, unit, type } } }, skipped }
//!                            │
//!   Measure::decimal() ─> Decimal (value × 10^unit, exact) ─> Quantity ─> SI or imperial
//! ```
//!
//! ```
//! use wbs_model::{MeasurePage, MeasureType, Units};
//!
//! let body = r#"{"updatetime":1249409679,"measuregrps":[{"grpid":2909,"attrib":0,
//!     "date":1222930968,"category":1,"measures":[
//!     {"value":79300,"type":1,"unit":-3},{"value":326,"type":88,"unit":-2}]}]}"#;
//! let page: MeasurePage = serde_json::from_str(body).unwrap();
//! let group = &page.measuregrps[0];
//! let weight = group.get(MeasureType::WEIGHT).unwrap().quantity();
//! assert_eq!(weight.to_string(), "79.3 kg");
//! assert_eq!(group.get(MeasureType::BONE_MASS).unwrap().quantity().to_string(), "3.26 kg");
//! assert_eq!(weight.in_units(Units::Imperial).unwrap().to_string(), "174.8266 lb");
//! ```
//!
//! Codes newer than the 2013 reference (measure types up to 229, attribution codes, status
//! families) are named where known, and any other code is kept as it is and round-trips:
//! none is ever rejected. Ids are accepted as integers or strings; unknown fields are
//! ignored. This crate does no I/O: decoding whole responses, with their `status`, is
//! `wbs-proto`'s job.
#![forbid(unsafe_code)]

mod codes;
mod decimal;
mod group;
mod ids;
mod measure;
mod page;
mod time;
pub mod tolerant;
mod user;
pub mod wire;

pub use codes::{Attribution, Category, DeviceType, Gender, Status};
pub use decimal::{ArithmeticError, Decimal, ParseDecimalError};
pub use group::{GroupExtra, MeasureGroup, MeasurePage, More};
pub use ids::{GroupId, UserId};
pub use measure::{
    Measure, MeasureExtra, MeasureType, Quantity, Unit, Units, UnknownMeasureType,
    INEXACT_CONVERSION_SCALE, KILOGRAMS_PER_POUND, METERS_PER_FOOT, METERS_PER_INCH,
};
pub use page::{DecodedPage, FieldError, SkippedGroup};
pub use time::Timestamp;
pub use user::{Notification, Subscription, User};
