//! The breach forecast (issue 19): how long an open incident will likely take to resolve, from the resolution times
//! of resolved incidents like it, and whether that passes its SLA's resolution deadline. The rules are pure; the
//! figures behind them are kept per key in a summary table (`queries`), and `backtest` measures the rules on the
//! history.
pub mod backtest;
pub mod queries;

use serde::Deserialize;

/// The fewest resolved incidents a forecast is drawn from.
pub const MINIMUM: i64 = 5;

/// What makes a resolved incident like this one, besides the same severity, in the order they are tried: the same
/// component, else the same product, else the same category. Stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "i16")]
pub enum Basis {
    Component = 1,
    Product = 2,
    Category = 3,
}

impl TryFrom<i16> for Basis {
    type Error = String;
    fn try_from(number: i16) -> Result<Basis, String> {
        [Basis::Component, Basis::Product, Basis::Category]
            .into_iter()
            .find(|basis| *basis as i16 == number)
            .ok_or_else(|| format!("{number} is not a forecast's basis"))
    }
}

impl Basis {
    /// The words after "similar incidents".
    pub fn words(self) -> &'static str {
        match self {
            Basis::Component => "on the same component",
            Basis::Product => "on the same product",
            Basis::Category => "of the same category",
        }
    }
}

/// The resolution times of a group of resolved incidents: how many, their median and 80th percentile in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Figures {
    pub n: i64,
    pub median_minutes: f64,
    pub p80_minutes: f64,
}

/// The value below which `fraction` of the sorted values lie, interpolated between neighbours as PostgreSQL's
/// `percentile_cont` does, so the summary table and the backtest agree.
pub fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else { return 0.0 };
    let at = fraction * last as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    sorted[below] + (sorted[above] - sorted[below]) * (at - below as f64)
}

/// The figures of these resolution times (minutes, in any order), or none for an empty group.
pub fn figures(minutes: &[f64]) -> Option<Figures> {
    if minutes.is_empty() {
        return None;
    }
    let mut sorted = minutes.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Figures {
        n: sorted.len() as i64,
        median_minutes: percentile(&sorted, 0.5),
        p80_minutes: percentile(&sorted, 0.8),
    })
}

/// A forecast: what it was drawn from, and its figures.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Forecast {
    pub basis: Basis,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The forecast from the figures of each basis there are: the first basis, in order, with at least `MINIMUM`
/// resolved incidents; none when every one has too few.
pub fn choose(candidates: impl IntoIterator<Item = (Basis, Figures)>) -> Option<Forecast> {
    candidates
        .into_iter()
        .filter(|(_, figures)| figures.n >= MINIMUM)
        .min_by_key(|(basis, _)| *basis)
        .map(|(basis, figures)| Forecast { basis, figures })
}

/// Whether an open incident is likely to breach: detection plus the 80th percentile passes the deadline, detection
/// plus the SLA's resolution hours. Never without an SLA.
pub fn likely_to_breach(forecast: &Forecast, resolution_hours: Option<i32>) -> bool {
    resolution_hours.is_some_and(|hours| forecast.figures.p80_minutes > f64::from(hours) * 60.0)
}

/// A length of time in minutes as pages say it ("3 d 4 h").
fn span(minutes: f64) -> String {
    crate::incidents::sla_clock::span(chrono::Duration::minutes(minutes.round() as i64))
}

/// The forecast as a page states it.
pub fn describe(forecast: Option<&Forecast>) -> String {
    match forecast {
        None => "Too few similar incidents to forecast".into(),
        Some(Forecast { basis, figures }) => format!(
            "Likely resolved in about {} (80 % within {}), from {} similar incidents {}",
            span(figures.median_minutes),
            span(figures.p80_minutes),
            figures.n,
            basis.words()
        ),
    }
}

/// The forecast in a list's cell: "80 % within 1 d 2 h".
pub fn short(forecast: &Forecast) -> String {
    format!("80 % within {}", span(forecast.figures.p80_minutes))
}

/// What a page shows of an open incident's forecast: the sentence, and whether it is likely to breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastView {
    pub text: String,
    pub likely_to_breach: bool,
}

impl ForecastView {
    /// The view of an incident's forecast, `resolution_hours` the SLA's target, if one applies.
    pub fn of(forecast: Option<&Forecast>, resolution_hours: Option<i32>) -> ForecastView {
        ForecastView {
            text: describe(forecast),
            likely_to_breach: forecast.is_some_and(|f| likely_to_breach(f, resolution_hours)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(n: i64, median: f64, p80: f64) -> Figures {
        Figures { n, median_minutes: median, p80_minutes: p80 }
    }

    #[test]
    fn the_median_and_80th_percentile_interpolate_as_postgresql_does() {
        // (durations in minutes, median, p80): percentile_cont's answers for the same values.
        let table: &[(&[f64], f64, f64)] = &[
            (&[60.0, 120.0, 180.0, 240.0, 300.0], 180.0, 252.0),
            (&[300.0, 60.0, 240.0, 120.0, 180.0], 180.0, 252.0),
            (&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0], 35.0, 50.0),
            (&[90.0, 90.0, 90.0, 90.0, 600.0], 90.0, 192.0),
            (&[42.0], 42.0, 42.0),
        ];
        for (minutes, median, p80) in table {
            let figures = figures(minutes).unwrap();
            assert_eq!(figures.n, minutes.len() as i64);
            assert!((figures.median_minutes - median).abs() < 1e-9, "{minutes:?}: median {figures:?}");
            assert!((figures.p80_minutes - p80).abs() < 1e-9, "{minutes:?}: p80 {figures:?}");
        }
        assert_eq!(figures(&[]), None);
    }

    #[test]
    fn the_first_basis_with_enough_incidents_is_chosen_else_too_few() {
        use Basis::*;
        // (the figures of each basis there are, the basis chosen)
        type Case<'a> = (&'a [(Basis, Figures)], Option<Basis>);
        let table: &[Case] = &[
            (
                &[(Component, of(5, 1.0, 2.0)), (Product, of(50, 3.0, 4.0)), (Category, of(500, 5.0, 6.0))],
                Some(Component),
            ),
            (&[(Component, of(4, 1.0, 2.0)), (Product, of(5, 3.0, 4.0)), (Category, of(500, 5.0, 6.0))], Some(Product)),
            (&[(Component, of(4, 1.0, 2.0)), (Product, of(4, 3.0, 4.0)), (Category, of(5, 5.0, 6.0))], Some(Category)),
            (&[(Category, of(9, 5.0, 6.0)), (Component, of(9, 1.0, 2.0))], Some(Component)),
            (&[(Component, of(4, 1.0, 2.0)), (Product, of(3, 3.0, 4.0)), (Category, of(2, 5.0, 6.0))], None),
            (&[], None),
        ];
        for (candidates, basis) in table {
            assert_eq!(choose(candidates.iter().copied()).map(|f| f.basis), *basis, "{candidates:?}");
        }
    }

    #[test]
    fn it_is_likely_to_breach_when_the_80th_percentile_passes_the_resolution_deadline() {
        let forecast = |p80: f64| Forecast { basis: Basis::Component, figures: of(8, 60.0, p80) };
        // (p80 minutes, resolution hours, likely to breach)
        let table = [
            (239.0, Some(4), false),
            (240.0, Some(4), false),
            (241.0, Some(4), true),
            (2000.0, Some(24), true),
            (2000.0, Some(48), false),
            (100_000.0, None, false),
        ];
        for (p80, hours, breach) in table {
            assert_eq!(likely_to_breach(&forecast(p80), hours), breach, "{p80} min against {hours:?} h");
        }
    }

    #[test]
    fn a_page_states_the_forecast_or_that_there_are_too_few() {
        let forecast = Forecast { basis: Basis::Product, figures: of(12, 150.0, 1500.0) };
        assert_eq!(
            ForecastView::of(Some(&forecast), Some(8)),
            ForecastView {
                text:
                    "Likely resolved in about 2 h 30 min (80 % within 1 d 1 h), from 12 similar incidents on the same \
                       product"
                        .into(),
                likely_to_breach: true,
            }
        );
        assert_eq!(
            ForecastView::of(None, Some(8)),
            ForecastView { text: "Too few similar incidents to forecast".into(), likely_to_breach: false }
        );
    }
}
