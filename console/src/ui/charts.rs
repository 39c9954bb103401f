//! Charts drawn on the server as inline SVG (no script): a bar chart and a line chart of a
//! few series. Each has a title for screen readers and a data table behind a disclosure.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const PAD_LEFT: f64 = 40.0;
const PAD_BOTTOM: f64 = 24.0;
const PAD_TOP: f64 = 10.0;

/// One series of a line chart.
#[derive(Debug)]
pub(crate) struct Series<'a> {
    /// Legend text.
    pub(crate) name: &'a str,
    /// CSS class giving its colour: "s1", "s2" or "s3".
    pub(crate) class: &'a str,
    /// One value per label.
    pub(crate) values: &'a [i64],
}

/// A round upper bound for the axis: 1, 2, 5 × 10ⁿ.
fn nice_max(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1i64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

fn y_of(value: i64, top: i64) -> f64 {
    let plot = HEIGHT - PAD_BOTTOM - PAD_TOP;
    #[allow(clippy::cast_precision_loss)]
    let ratio = value as f64 / top as f64;
    HEIGHT - PAD_BOTTOM - ratio * plot
}

fn axis(top: i64) -> Markup {
    html! {
        g class="axis" {
            @for tick in [0, top / 2, top] {
                line x1=(PAD_LEFT) x2=(WIDTH) y1=(y_of(tick, top)) y2=(y_of(tick, top)) {}
                text x=(PAD_LEFT - 6.0) y=(y_of(tick, top) + 4.0) text-anchor="end" { (tick) }
            }
        }
    }
}

/// Which labels to print under the x axis (at most about eight).
fn shown_labels(count: usize) -> usize {
    count.div_ceil(8).max(1)
}

/// A bar chart of `(label, value)`; `unit` names the values ("minutes").
pub(crate) fn bars(title: &str, unit: &str, data: &[(String, i64)]) -> Markup {
    let top = nice_max(data.iter().map(|(_, v)| *v).max().unwrap_or(0));
    #[allow(clippy::cast_precision_loss)]
    let slot = (WIDTH - PAD_LEFT) / data.len().max(1) as f64;
    let every = shown_labels(data.len());
    html! {
        figure class="chart" {
            figcaption { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
                title { (title) }
                (axis(top))
                @for (i, (label, value)) in data.iter().enumerate() {
                    @let x = PAD_LEFT + slot * f64::from(u32::try_from(i).unwrap_or(u32::MAX)) + slot * 0.15;
                    @let y = y_of(*value, top);
                    rect class="bar" x=(x) y=(y) width=(slot * 0.7) height=((HEIGHT - PAD_BOTTOM - y).max(0.0)) {
                        title { (label) ": " (value) " " (unit) }
                    }
                    @if i % every == 0 {
                        text class="label" x=(x + slot * 0.35) y=(HEIGHT - 6.0) text-anchor="middle" { (label) }
                    }
                }
            }
            (table(&[unit], data.iter().map(|(l, v)| (l.as_str(), vec![*v]))))
        }
    }
}

/// A line chart of a few series over the same labels.
pub(crate) fn lines(title: &str, labels: &[String], series: &[Series<'_>]) -> Markup {
    let top = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0),
    );
    #[allow(clippy::cast_precision_loss)]
    let step = (WIDTH - PAD_LEFT - 10.0) / (labels.len().saturating_sub(1)).max(1) as f64;
    let x_of = |i: usize| PAD_LEFT + 5.0 + step * f64::from(u32::try_from(i).unwrap_or(u32::MAX));
    let every = shown_labels(labels.len());
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    html! {
        figure class="chart" {
            figcaption {
                (title)
                span class="legend" {
                    @for s in series { span class={ "key " (s.class) } { (s.name) } }
                }
            }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
                title { (title) }
                (axis(top))
                @for s in series {
                    @let points = s.values.iter().enumerate()
                        .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v, top)))
                        .collect::<Vec<_>>().join(" ");
                    polyline class={ "line " (s.class) } points=(points) {}
                }
                @for (i, label) in labels.iter().enumerate() {
                    @if i % every == 0 {
                        text class="label" x=(x_of(i)) y=(HEIGHT - 6.0) text-anchor="middle" { (label) }
                    }
                }
            }
            (table(&names, labels.iter().enumerate().map(|(i, l)| {
                (l.as_str(), series.iter().map(|s| s.values.get(i).copied().unwrap_or(0)).collect())
            })))
        }
    }
}

/// The chart's numbers as a table, folded away.
fn table<'a>(columns: &[&str], rows: impl Iterator<Item = (&'a str, Vec<i64>)>) -> Markup {
    html! {
        details class="chart-data" {
            summary { "Show the numbers" }
            table {
                thead { tr { th scope="col" { "" } @for c in columns { th scope="col" { (c) } } } }
                tbody {
                    @for (label, values) in rows {
                        tr { th scope="row" { (label) } @for v in values { td { (v) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(120), 200);
        assert_eq!(nice_max(1000), 1000);
    }

    #[test]
    fn labels_are_escaped_in_charts() {
        let html = bars("t", "min", &[("<b>".to_owned(), 3)]).into_string();
        assert!(html.contains("&lt;b&gt;"));
        assert!(!html.contains("<b>"));
    }
}
