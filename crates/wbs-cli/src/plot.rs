//! `wbs plot`: a chart of a user's history, as SVG, from the store.
//!
//! Each measurement is one circle (and nothing else is drawn as a circle), so that the
//! chart can be checked against the store. Weight, fat ratio and pulse get a 7-day
//! trailing moving average and their minimum and maximum labelled; blood pressure gets
//! systolic and diastolic with reference lines at 120 and 80 mmHg.

use std::path::Path;

use plotters::prelude::*;
use wbs_hyper::{MeasureGroup, MeasureType, Units};

use crate::dates;
use crate::files::write_durably;
use crate::Failure;

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlotKind {
    /// Weight, with a 7-day moving average.
    Weight,
    /// Fat ratio, with a 7-day moving average.
    Fat,
    /// Systolic and diastolic blood pressure, with reference lines at 120/80.
    Bp,
    /// Heart pulse, with a 7-day moving average.
    Pulse,
}

impl PlotKind {
    /// The measure types the chart draws, each a series.
    pub(crate) fn types(self) -> &'static [MeasureType] {
        match self {
            Self::Weight => &[MeasureType::WEIGHT],
            Self::Fat => &[MeasureType::FAT_RATIO],
            Self::Bp => &[
                MeasureType::SYSTOLIC_BLOOD_PRESSURE,
                MeasureType::DIASTOLIC_BLOOD_PRESSURE,
            ],
            Self::Pulse => &[MeasureType::HEART_PULSE],
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Weight => "Weight",
            Self::Fat => "Fat ratio",
            Self::Bp => "Blood pressure",
            Self::Pulse => "Heart pulse",
        }
    }
}

/// One series: (date, value in the chart's unit), oldest first.
struct Series {
    name: &'static str,
    points: Vec<(i64, f64)>,
    color: RGBColor,
}

const WEEK: i64 = 7 * 86_400;
/// The dates a chart can show: years 1 to 9999 (what the date labels can write).
const DATES: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;
/// The values a chart can show: beyond, the axis arithmetic overflows (a unit of 10^400
/// is a valid wire value, and infinite as a float).
const VALUES: f64 = 1e15;
const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREY: RGBColor = RGBColor(150, 150, 150);

/// What a chart holds: measurements drawn, and those that could not be (a date or a value
/// beyond what an axis can show).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Drawn {
    pub(crate) drawn: usize,
    pub(crate) left_out: usize,
}

/// Draws the chart of `groups` (newest first, as the store gives them) into `out`.
pub(crate) fn plot(
    kind: PlotKind,
    groups: &[MeasureGroup],
    units: Units,
    out: &Path,
) -> Result<Drawn, Failure> {
    let colors = [BLUE, ORANGE];
    let mut unit = String::new();
    let mut series = Vec::new();
    let mut left_out = 0;
    for (ty, color) in kind.types().iter().zip(colors) {
        let mut points = Vec::new();
        for g in groups.iter().rev() {
            for m in g.measures.iter().filter(|m| m.measure_type == *ty) {
                let q = m.quantity();
                let shown = q.in_units(units).unwrap_or(q);
                let value = shown.value.to_f64();
                if !DATES.contains(&g.date.secs()) || !value.is_finite() || value.abs() > VALUES {
                    left_out += 1;
                    continue;
                }
                unit = shown.unit.symbol().to_owned();
                points.push((g.date.secs(), value));
            }
        }
        series.push(Series {
            name: ty.name(),
            points,
            color,
        });
    }
    let drawn: usize = series.iter().map(|s| s.points.len()).sum();
    if drawn == 0 {
        let why = if left_out > 0 {
            format!(", only {left_out} beyond what a chart can show")
        } else {
            String::new()
        };
        return Err(Failure::new(format!(
            "no {} measurements in that range{why}",
            kind.title().to_lowercase()
        ))
        .hint("run `wbs sync --user N` first, or widen --since/--until"));
    }
    let mut svg = String::new();
    draw(kind, &series, &unit, &mut svg)
        .map_err(|e| Failure::new(format!("cannot draw the chart: {e}")))?;
    // Replaced whole or not at all.
    write_durably(out, svg.as_bytes())?;
    Ok(Drawn { drawn, left_out })
}

fn draw(
    kind: PlotKind,
    series: &[Series],
    unit: &str,
    out: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1) = (i64::MAX, i64::MIN);
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all() {
        (x0, x1) = (x0.min(x), x1.max(x));
        (y0, y1) = (y0.min(y), y1.max(y));
    }
    if kind == PlotKind::Bp {
        (y0, y1) = (y0.min(80.0), y1.max(120.0));
    }
    let pad_x = ((x1 - x0) / 40).max(86_400);
    // Room below for the minimum's label, above for the maximum's and the legend.
    let span = (y1 - y0).max(1.0);
    let (x0, x1) = (x0.saturating_sub(pad_x), x1.saturating_add(pad_x));
    let (y0, y1) = (y0 - span * 0.1, y1 + span * 0.3);

    let root = SVGBackend::with_string(out, (1000, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{} ({unit})", kind.title()), ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((x0..x1).with_key_points(date_ticks(x0, x1)), y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("date (UTC)")
        .y_desc(format!("{} ({unit})", kind.title().to_lowercase()))
        .x_label_formatter(&|x| dates::format(*x).get(..10).unwrap_or("").to_owned())
        .light_line_style(WHITE.mix(0.0))
        .draw()?;

    if kind == PlotKind::Bp {
        for (level, name) in [(120.0, "120 mmHg"), (80.0, "80 mmHg")] {
            chart
                .draw_series(LineSeries::new(
                    [(x0, level), (x1, level)],
                    GREY.stroke_width(1),
                ))?
                .label(name)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], GREY));
        }
    }
    for s in series {
        let color = s.color;
        chart
            .draw_series(
                s.points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 2, color.mix(0.6).filled())),
            )?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
        if kind == PlotKind::Bp {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), color.mix(0.5)))?;
            continue;
        }
        chart
            .draw_series(LineSeries::new(
                moving_average(&s.points),
                color.stroke_width(2),
            ))?
            .label("7-day moving average")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        // The extremes, labelled with their value and date.
        let cmp = |a: &&(i64, f64), b: &&(i64, f64)| a.1.total_cmp(&b.1);
        if let (Some(lo), Some(hi)) = (s.points.iter().min_by(cmp), s.points.iter().max_by(cmp)) {
            for (p, what, dy) in [(lo, "min", 8), (hi, "max", -22)] {
                let date = dates::format(p.0);
                let text = format!(
                    "{what} {:.1} {unit} ({})",
                    p.1,
                    date.get(..10).unwrap_or("")
                );
                // Beside the point, on the side with room for the text.
                let right_half = (p.0 - x0) as f64 > (x1 - x0) as f64 * 0.55;
                let width = i32::try_from(text.chars().count()).unwrap_or(40) * 7;
                let dx = if right_half { -width - 8 } else { 8 };
                let font = ("sans-serif", 13).into_font().color(&BLACK);
                chart.draw_series(std::iter::once(
                    EmptyElement::at(*p)
                        + Cross::new((0, 0), 4, BLACK.stroke_width(2))
                        + Text::new(text, (dx, dy), font),
                ))?;
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Ticks at the first day of months between two instants: every month, or every second,
/// third, … so that there are at most 8.
fn date_ticks(x0: i64, x1: i64) -> Vec<i64> {
    use time::{Date, Month, OffsetDateTime};
    let (Ok(start), Ok(end)) = (
        OffsetDateTime::from_unix_timestamp(x0),
        OffsetDateTime::from_unix_timestamp(x1),
    ) else {
        return vec![x0, x1];
    };
    let months = |t: OffsetDateTime| i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1;
    let (first, last) = (months(start) + 1, months(end));
    let step = ((last - first) / 8 + 1).max(1);
    let mut ticks = Vec::new();
    let mut m = first;
    while m <= last {
        let (Ok(year), Ok(month)) = (i32::try_from(m / 12), Month::try_from((m % 12 + 1) as u8))
        else {
            break;
        };
        if let Ok(date) = Date::from_calendar_date(year, month, 1) {
            ticks.push(date.midnight().assume_utc().unix_timestamp());
        }
        m += step;
    }
    if ticks.is_empty() {
        ticks = vec![x0, x1];
    }
    ticks
}

/// The mean of the points of the trailing 7 days, at each point.
fn moving_average(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut out = Vec::with_capacity(points.len());
    let (mut start, mut sum) = (0, 0.0);
    for (i, &(x, y)) in points.iter().enumerate() {
        sum += y;
        while start < i && points[start].0 <= x.saturating_sub(WEEK) {
            sum -= points[start].1;
            start += 1;
        }
        out.push((x, sum / (i + 1 - start) as f64));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use wbs_hyper::{Attribution, Category, GroupId, Measure, Timestamp};

    fn weighing(date: i64, value: i64, unit: i32) -> MeasureGroup {
        MeasureGroup::new(
            GroupId::new(date),
            Attribution::DEVICE,
            Timestamp::from_secs(date),
            Category::MEASURE,
            vec![Measure::new(MeasureType::WEIGHT, value, unit)],
        )
    }

    /// One point, equal values, values no float holds, dates no calendar holds: a chart
    /// of what can be drawn, the rest counted, never a panic or a hang.
    #[test]
    fn odd_histories_draw_or_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.svg");
        let cases: Vec<(Vec<MeasureGroup>, Option<Drawn>)> = vec![
            (
                vec![weighing(1_700_000_000, 80_000, -3)],
                Some(Drawn {
                    drawn: 1,
                    left_out: 0,
                }),
            ),
            (
                (0..50)
                    .map(|i| weighing(1_700_000_000 + i * 3_600, 80_000, -3))
                    .collect(),
                Some(Drawn {
                    drawn: 50,
                    left_out: 0,
                }),
            ),
            (
                vec![
                    weighing(1_700_000_000, 1, 400),
                    weighing(1_700_000_100, 1, i32::MAX),
                    weighing(1_700_000_200, i64::MIN, i32::MIN),
                    weighing(i64::MAX, 80_000, -3),
                    weighing(i64::MIN, 80_000, -3),
                    weighing(1_700_000_300, 80_000, -3),
                ],
                Some(Drawn {
                    drawn: 2,
                    left_out: 4,
                }),
            ),
            (vec![weighing(i64::MAX, 1, 0), weighing(1, 1, 999)], None),
        ];
        for (groups, expected) in cases {
            for kind in [PlotKind::Weight, PlotKind::Bp] {
                let result = plot(kind, &groups, Units::Imperial, &out);
                match (&expected, kind) {
                    (Some(e), PlotKind::Weight) => {
                        assert_eq!(result.as_ref().ok(), Some(e));
                        let svg = std::fs::read_to_string(&out).unwrap();
                        assert_eq!(svg.matches("<circle").count(), e.drawn);
                    }
                    _ => assert!(result.is_err()),
                }
            }
        }
    }

    #[test]
    fn ticks_fall_on_month_starts_at_most_eight() {
        // 2024-01-15 .. 2024-04-10: Feb 1, Mar 1, Apr 1.
        let ticks = date_ticks(1_705_276_800, 1_712_707_200);
        assert_eq!(ticks, [1_706_745_600, 1_709_251_200, 1_711_929_600]);
        // Ten years: at most 8, on month starts.
        let ticks = date_ticks(1_400_000_000, 1_715_000_000);
        assert!(ticks.len() <= 8 && ticks.len() >= 4, "{ticks:?}");
        assert!(ticks
            .iter()
            .all(|t| dates::format(*t).get(8..19) == Some("01T00:00:00")));
        // Out of range: the ends.
        assert_eq!(date_ticks(i64::MIN, i64::MAX), [i64::MIN, i64::MAX]);
    }

    #[test]
    fn the_moving_average_trails_seven_days() {
        let day = 86_400;
        let points = [(0, 1.0), (day, 3.0), (8 * day, 5.0), (8 * day + 1, 7.0)];
        let avg = moving_average(&points);
        assert_eq!(avg[0], (0, 1.0));
        assert_eq!(avg[1], (day, 2.0));
        assert_eq!(avg[2], (8 * day, 5.0)); // 0 and 1 day are 7 days or more before
        assert_eq!(avg[3], (8 * day + 1, 6.0));
    }
}
