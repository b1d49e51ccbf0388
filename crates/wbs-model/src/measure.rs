//! Measures, their types and units, and SI or imperial quantities.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::decimal::{ArithmeticError, Decimal};

/// One measure as the API sends it: `{"value": 79300, "unit": -3, "type": 1}`.
///
/// The wire triple is kept exactly as received; [`Measure::decimal`] and
/// [`Measure::quantity`] give the exact scaled value (`value × 10^unit`). The fields newer
/// servers add live out of line in [`MeasureExtra`], allocated only when sent, so that a
/// measure is 32 bytes.
///
/// ```
/// use wbs_model::{Measure, MeasureType};
/// let m: Measure = serde_json::from_str(r#"{"value":79300,"type":1,"unit":-3}"#).unwrap();
/// assert_eq!(m.measure_type, MeasureType::WEIGHT);
/// assert_eq!(m.quantity().to_string(), "79.3 kg");
/// assert_eq!(m.extra, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    /// The integer value.
    pub value: i64,
    /// The power of ten to multiply `value` by.
    pub unit: i32,
    /// What is measured (`type` on the wire).
    pub measure_type: MeasureType,
    /// Fields of newer servers, when any was sent.
    pub extra: Option<Box<MeasureExtra>>,
}

/// The per-measure fields that newer servers add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MeasureExtra {
    /// Where on the body a segmental measure was taken.
    pub position: Option<i64>,
    /// The algorithm version.
    pub algo: Option<i64>,
    /// The body composition formula.
    pub fm: Option<i64>,
}

impl MeasureExtra {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// The flat wire form of a measure, for serialising.
#[serde_with::skip_serializing_none]
#[derive(Serialize)]
struct MeasureWire {
    value: i64,
    unit: i32,
    #[serde(rename = "type")]
    measure_type: MeasureType,
    position: Option<i64>,
    algo: Option<i64>,
    fm: Option<i64>,
}

impl Serialize for Measure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let extra = self.extra.as_deref();
        MeasureWire {
            value: self.value,
            unit: self.unit,
            measure_type: self.measure_type,
            position: extra.and_then(|e| e.position),
            algo: extra.and_then(|e| e.algo),
            fm: extra.and_then(|e| e.fm),
        }
        .serialize(s)
    }
}

impl Measure {
    /// A measure with no extra fields.
    pub fn new(measure_type: MeasureType, value: i64, unit: i32) -> Self {
        Self {
            value,
            unit,
            measure_type,
            extra: None,
        }
    }

    /// `position`, if sent.
    pub fn position(&self) -> Option<i64> {
        self.extra.as_ref().and_then(|e| e.position)
    }

    /// The exact value, `value × 10^unit`.
    pub fn decimal(&self) -> Decimal {
        Decimal::new(self.value, self.unit)
    }

    /// The exact value with the SI unit of its type ([`Unit::None`] for unknown types).
    pub fn quantity(&self) -> Quantity {
        Quantity {
            value: self.decimal(),
            unit: self.measure_type.unit(),
        }
    }
}

/// A measure type code. Every code of the reference and of current servers has a named
/// constant; any other code is kept as it is and round-trips.
///
/// ```
/// use wbs_model::{MeasureType, Unit};
/// assert_eq!(MeasureType::from_code(88).name(), "Bone Mass");
/// assert_eq!(MeasureType::BONE_MASS.unit(), Unit::Kilogram);
/// let unknown = MeasureType::from_code(4242);
/// assert!(!unknown.is_known());
/// assert_eq!(unknown.code(), 4242);
/// assert_eq!("weight".parse::<MeasureType>().unwrap(), MeasureType::WEIGHT);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MeasureType(i64);

impl<'de> Deserialize<'de> for MeasureType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::tolerant::int(d).map(Self)
    }
}

macro_rules! measure_types {
    ($($(#[$doc:meta])* $konst:ident = $code:literal, $name:literal, $slug:literal, $unit:ident;)*) => {
        impl MeasureType {
            $( $(#[$doc])* pub const $konst: Self = Self($code); )*

            const TABLE: &'static [(i64, &'static str, &'static str, Unit)] =
                &[$(($code, $name, $slug, Unit::$unit)),*];
        }
    };
}

measure_types! {
    /// 1: weight (kg).
    WEIGHT = 1, "Weight", "weight", Kilogram;
    /// 4: height (m).
    HEIGHT = 4, "Height", "height", Meter;
    /// 5: fat-free mass (kg).
    FAT_FREE_MASS = 5, "Fat Free Mass", "fat_free_mass", Kilogram;
    /// 6: fat ratio (%).
    FAT_RATIO = 6, "Fat Ratio", "fat_ratio", Percent;
    /// 8: fat mass weight (kg).
    FAT_MASS_WEIGHT = 8, "Fat Mass Weight", "fat_mass", Kilogram;
    /// 9: diastolic blood pressure (mmHg).
    DIASTOLIC_BLOOD_PRESSURE = 9, "Diastolic Blood Pressure", "diastolic", MillimeterOfMercury;
    /// 10: systolic blood pressure (mmHg).
    SYSTOLIC_BLOOD_PRESSURE = 10, "Systolic Blood Pressure", "systolic", MillimeterOfMercury;
    /// 11: heart pulse (bpm).
    HEART_PULSE = 11, "Heart Pulse", "heart_pulse", BeatsPerMinute;
    /// 12: temperature (°C).
    TEMPERATURE = 12, "Temperature", "temperature", Celsius;
    /// 54: SpO2 (%).
    SPO2 = 54, "SpO2", "spo2", Percent;
    /// 71: body temperature (°C).
    BODY_TEMPERATURE = 71, "Body Temperature", "body_temperature", Celsius;
    /// 73: skin temperature (°C).
    SKIN_TEMPERATURE = 73, "Skin Temperature", "skin_temperature", Celsius;
    /// 76: muscle mass (kg).
    MUSCLE_MASS = 76, "Muscle Mass", "muscle_mass", Kilogram;
    /// 77: hydration (kg).
    HYDRATION = 77, "Hydration", "hydration", Kilogram;
    /// 88: bone mass (kg).
    BONE_MASS = 88, "Bone Mass", "bone_mass", Kilogram;
    /// 91: pulse wave velocity (m/s).
    PULSE_WAVE_VELOCITY = 91, "Pulse Wave Velocity", "pulse_wave_velocity", MeterPerSecond;
    /// 123: VO2 max (ml/min/kg).
    VO2_MAX = 123, "VO2 max", "vo2_max", MilliliterPerMinutePerKilogram;
    /// 130: atrial fibrillation classification: a category code, not a quantity.
    AFIB_CLASSIFICATION = 130, "AFib Classification", "afib", None;
    /// 135: QRS interval (ms).
    QRS_INTERVAL = 135, "QRS Interval", "qrs_interval", Millisecond;
    /// 136: PR interval (ms).
    PR_INTERVAL = 136, "PR Interval", "pr_interval", Millisecond;
    /// 137: QT interval (ms).
    QT_INTERVAL = 137, "QT Interval", "qt_interval", Millisecond;
    /// 138: corrected QT interval (ms).
    CORRECTED_QT_INTERVAL = 138, "Corrected QT Interval", "qtc_interval", Millisecond;
    /// 139: atrial fibrillation from PPG: a category code, not a quantity.
    AFIB_PPG = 139, "AFib from PPG", "afib_ppg", None;
    /// 155: vascular age (years).
    VASCULAR_AGE = 155, "Vascular Age", "vascular_age", Year;
    /// 167: nerve health score (no unit).
    NERVE_HEALTH_SCORE = 167, "Nerve Health Score", "nerve_health_score", None;
    /// 168: extracellular water (kg).
    EXTRACELLULAR_WATER = 168, "Extracellular Water", "extracellular_water", Kilogram;
    /// 169: intracellular water (kg).
    INTRACELLULAR_WATER = 169, "Intracellular Water", "intracellular_water", Kilogram;
    /// 170: visceral fat (an index, no unit).
    VISCERAL_FAT = 170, "Visceral Fat", "visceral_fat", None;
    /// 173: segmental fat-free mass (kg).
    SEGMENTAL_FAT_FREE_MASS = 173, "Segmental Fat Free Mass", "segmental_fat_free_mass", Kilogram;
    /// 174: segmental fat mass (kg).
    SEGMENTAL_FAT_MASS = 174, "Segmental Fat Mass", "segmental_fat_mass", Kilogram;
    /// 175: segmental muscle mass (kg).
    SEGMENTAL_MUSCLE_MASS = 175, "Segmental Muscle Mass", "segmental_muscle_mass", Kilogram;
    /// 196: electrodermal activity (no unit).
    ELECTRODERMAL_ACTIVITY = 196, "Electrodermal Activity", "electrodermal_activity", None;
    /// 226: basal metabolic rate (kcal).
    BASAL_METABOLIC_RATE = 226, "Basal Metabolic Rate", "bmr", Kilocalorie;
    /// 227: metabolic age (years).
    METABOLIC_AGE = 227, "Metabolic Age", "metabolic_age", Year;
    /// 229: electrochemical skin conductance (µS).
    ELECTROCHEMICAL_SKIN_CONDUCTANCE = 229, "Electrochemical Skin Conductance", "skin_conductance", Microsiemens;
}

impl MeasureType {
    /// The type with this code (known or not).
    pub const fn from_code(code: i64) -> Self {
        Self(code)
    }

    /// The wire code.
    pub const fn code(self) -> i64 {
        self.0
    }

    fn entry(self) -> Option<&'static (i64, &'static str, &'static str, Unit)> {
        Self::TABLE.iter().find(|e| e.0 == self.0)
    }

    /// Whether this crate knows the code.
    pub fn is_known(self) -> bool {
        self.entry().is_some()
    }

    /// A display name; `"Unknown"` for unknown codes.
    pub fn name(self) -> &'static str {
        self.entry().map_or("Unknown", |e| e.1)
    }

    /// A short lower-case name for command lines (`weight`, `fat_ratio`, …).
    pub fn slug(self) -> Option<&'static str> {
        self.entry().map(|e| e.2)
    }

    /// The SI unit the API sends this type in ([`Unit::None`] for unknown types, scores
    /// and categories).
    pub fn unit(self) -> Unit {
        self.entry().map_or(Unit::None, |e| e.3)
    }

    /// Whether the value is a category code rather than an amount (AFib results).
    pub fn is_category(self) -> bool {
        self == Self::AFIB_CLASSIFICATION || self == Self::AFIB_PPG
    }

    /// Every known type, in code order.
    pub fn all() -> impl Iterator<Item = Self> {
        Self::TABLE.iter().map(|e| Self(e.0))
    }
}

impl fmt::Debug for MeasureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.slug() {
            Some(slug) => write!(f, "MeasureType({}: {slug})", self.0),
            None => write!(f, "MeasureType({}: unknown)", self.0),
        }
    }
}

impl fmt::Display for MeasureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry() {
            Some(e) => f.write_str(e.1),
            None => write!(f, "Unknown type {}", self.0),
        }
    }
}

impl FromStr for MeasureType {
    type Err = UnknownMeasureType;

    /// A slug (`weight`), a display name (`Bone Mass`, any case) or a numeric code.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(code) = s.parse::<i64>() {
            return Ok(Self(code));
        }
        Self::TABLE
            .iter()
            .find(|e| e.2.eq_ignore_ascii_case(s) || e.1.eq_ignore_ascii_case(s))
            .map(|e| Self(e.0))
            .ok_or(UnknownMeasureType(()))
    }
}

/// The text names no measure type (neither a known name nor a number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown measure type (use a name such as weight or a numeric code)")]
pub struct UnknownMeasureType(());

/// A unit of measure: the SI units the API sends, and the imperial ones they convert to.
///
/// ```
/// use wbs_model::{MeasureType, Unit};
/// assert_eq!(MeasureType::SYSTOLIC_BLOOD_PRESSURE.unit().symbol(), "mmHg");
/// assert_eq!(Unit::Celsius.to_string(), "°C");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unit {
    /// kg
    Kilogram,
    /// m
    Meter,
    /// %
    Percent,
    /// mmHg
    MillimeterOfMercury,
    /// bpm
    BeatsPerMinute,
    /// °C
    Celsius,
    /// m/s
    MeterPerSecond,
    /// ml/min/kg
    MilliliterPerMinutePerKilogram,
    /// ms
    Millisecond,
    /// years
    Year,
    /// kcal
    Kilocalorie,
    /// µS
    Microsiemens,
    /// lb (imperial)
    Pound,
    /// ft (imperial)
    Foot,
    /// in (imperial)
    Inch,
    /// °F (imperial)
    Fahrenheit,
    /// No unit: scores, indexes, categories and unknown types.
    None,
}

impl Unit {
    /// The symbol (`kg`, `°C`, …); empty for [`Unit::None`].
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Kilogram => "kg",
            Self::Meter => "m",
            Self::Percent => "%",
            Self::MillimeterOfMercury => "mmHg",
            Self::BeatsPerMinute => "bpm",
            Self::Celsius => "°C",
            Self::MeterPerSecond => "m/s",
            Self::MilliliterPerMinutePerKilogram => "ml/min/kg",
            Self::Millisecond => "ms",
            Self::Year => "years",
            Self::Kilocalorie => "kcal",
            Self::Microsiemens => "µS",
            Self::Pound => "lb",
            Self::Foot => "ft",
            Self::Inch => "in",
            Self::Fahrenheit => "°F",
            Self::None => "",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A system of units to show quantities in.
///
/// ```
/// use wbs_model::{Decimal, Quantity, Unit, Units};
/// let h = Quantity::new(Decimal::new(173, -2), Unit::Meter);
/// assert_eq!(h.in_units(Units::Imperial).unwrap().to_string(), "5.6759 ft");
/// assert_eq!(h.in_units(Units::Si).unwrap(), h);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Units {
    /// As the API sends them.
    #[default]
    Si,
    /// Pounds, feet and degrees Fahrenheit where they apply; other units unchanged.
    Imperial,
}

/// The exact kilograms in a pound (international avoirdupois pound, 1959).
pub const KILOGRAMS_PER_POUND: Decimal = decimal_const(45_359_237, -8);
/// The exact metres in a foot.
pub const METERS_PER_FOOT: Decimal = decimal_const(3048, -4);
/// The exact metres in an inch.
pub const METERS_PER_INCH: Decimal = decimal_const(254, -4);

const fn decimal_const(mantissa: i64, exponent: i32) -> Decimal {
    // These constants have no trailing zeros, so they are already normalised.
    Decimal::from_parts_normalized(mantissa, exponent as i64)
}

/// Decimal places kept when a conversion has no finite decimal result (pounds, feet,
/// inches): 0.0001 lb is 45 mg and 0.0001 ft is 30 µm, finer than any device measures.
pub const INEXACT_CONVERSION_SCALE: i64 = -4;

/// An exact value with its unit.
///
/// ```
/// use wbs_model::{Decimal, Quantity, Unit, Units};
/// let weight = Quantity::new(Decimal::new(79300, -3), Unit::Kilogram);
/// assert_eq!(weight.to_string(), "79.3 kg");
/// assert_eq!(weight.in_units(Units::Imperial).unwrap().to_string(), "174.8266 lb");
/// let fever = Quantity::new(Decimal::new(385, -1), Unit::Celsius);
/// assert_eq!(fever.in_units(Units::Imperial).unwrap().to_string(), "101.3 °F"); // exact
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    /// The exact value.
    pub value: Decimal,
    /// Its unit.
    pub unit: Unit,
}

impl Quantity {
    /// A quantity.
    pub fn new(value: Decimal, unit: Unit) -> Self {
        Self { value, unit }
    }

    /// The quantity in a system of units.
    ///
    /// SI to imperial: kg to lb and m to ft divide by an exact factor whose quotient is not
    /// a finite decimal, so they are rounded half to even to four decimal places
    /// ([`INEXACT_CONVERSION_SCALE`]); °C to °F (`× 1.8 + 32`) is exact. Imperial to SI
    /// multiplies by the exact factors and is exact. Other units are unchanged.
    pub fn in_units(self, units: Units) -> Result<Self, ArithmeticError> {
        let v = self.value;
        let (value, unit) = match (units, self.unit) {
            (Units::Imperial, Unit::Kilogram) => (
                v.checked_div_rounded(KILOGRAMS_PER_POUND, INEXACT_CONVERSION_SCALE)?,
                Unit::Pound,
            ),
            (Units::Imperial, Unit::Meter) => (
                v.checked_div_rounded(METERS_PER_FOOT, INEXACT_CONVERSION_SCALE)?,
                Unit::Foot,
            ),
            (Units::Imperial, Unit::Celsius) => (
                v.checked_mul(Decimal::new(18, -1))?
                    .checked_add(Decimal::new(32, 0))?,
                Unit::Fahrenheit,
            ),
            (Units::Si, Unit::Pound) => (v.checked_mul(KILOGRAMS_PER_POUND)?, Unit::Kilogram),
            (Units::Si, Unit::Foot) => (v.checked_mul(METERS_PER_FOOT)?, Unit::Meter),
            (Units::Si, Unit::Inch) => (v.checked_mul(METERS_PER_INCH)?, Unit::Meter),
            (Units::Si, Unit::Fahrenheit) => (
                v.checked_sub(Decimal::new(32, 0))?
                    .checked_div_rounded(Decimal::new(18, -1), -10)?,
                Unit::Celsius,
            ),
            (_, unit) => (v, unit),
        };
        Ok(Self { value, unit })
    }

    /// A length as whole feet and inches (inches rounded half to even to two places), as
    /// heights are told in imperial countries. `None` unless the unit is a length.
    ///
    /// ```
    /// use wbs_model::{Decimal, Quantity, Unit};
    /// let h = Quantity::new(Decimal::new(173, -2), Unit::Meter);
    /// let (feet, inches) = h.feet_and_inches().unwrap();
    /// assert_eq!((feet, inches.to_string().as_str()), (5, "8.11"));
    /// ```
    pub fn feet_and_inches(self) -> Option<(i64, Decimal)> {
        let meters = match self.unit {
            Unit::Meter => self.value,
            Unit::Foot => self.value.checked_mul(METERS_PER_FOOT).ok()?,
            Unit::Inch => self.value.checked_mul(METERS_PER_INCH).ok()?,
            _ => return None,
        };
        let total_inches = meters.checked_div_rounded(METERS_PER_INCH, -2).ok()?;
        let feet = total_inches
            .checked_div_rounded(Decimal::new(12, 0), 0)
            .ok()?;
        // Round down to whole feet: the division above rounded to nearest.
        let mut feet = feet;
        if feet.checked_mul(Decimal::new(12, 0)).ok()? > total_inches {
            feet = feet.checked_sub(Decimal::new(1, 0)).ok()?;
        }
        let inches = total_inches
            .checked_sub(feet.checked_mul(Decimal::new(12, 0)).ok()?)
            .ok()?;
        let feet = feet.to_string().parse::<i64>().ok()?;
        Some((feet, inches))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unit == Unit::None {
            write!(f, "{}", self.value)
        } else {
            write!(f, "{} {}", self.value, self.unit)
        }
    }
}
