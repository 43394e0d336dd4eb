//! Trends and comparison: an indicator over recent periods for a place against its
//! parent and siblings (a line chart), and a table comparing chosen places.

use axum::extract::State;
use hamafza_core::access::{Action, Actor, scope};
use hamafza_core::indicator::{Shown, rate};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::text::sort_fa_by;
use hamafza_store::{Indicator, Place};
use maud::{Markup, html};

use super::view::{default_period, shown_text, value_fa};
use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section};

/// The periods of a trend ending at `last`: eight seasons, twelve months or four years.
pub fn periods_ending(last: Period) -> Vec<Period> {
    let mut out = vec![last];
    let mut p = last;
    let count = match last {
        Period::Quarter(..) => 8,
        Period::Month(..) => 12,
        Period::Year(_) => 4,
    };
    while out.len() < count {
        p = match p {
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
            Period::Year(y) => Period::Year(y - 1),
        };
        out.push(p);
    }
    out.reverse();
    out
}

/// The indicator for each place (rows) in each period (columns), as the caller may see it.
pub async fn values_over(
    state: &AppState,
    actor: &Actor,
    indicator: &Indicator,
    places: &[Place],
    periods: &[Period],
) -> Result<Vec<Vec<Shown>>, AppError> {
    let ids: Vec<String> = places.iter().map(|p| p.id.to_string()).collect();
    let threshold = atlas::threshold_for(actor, state.small_count);
    let mut out = vec![Vec::with_capacity(periods.len()); places.len()];
    for &period in periods {
        let numerators = state.store.numerators(indicator, &ids, period).await?;
        for (row, p) in out.iter_mut().zip(places) {
            let n = numerators.get(&p.id.to_string()).copied();
            let d = atlas::denominator_of(indicator, p);
            let v = n.and_then(|n| rate(n, indicator.denominator, d, indicator.rate_base));
            row.push(Shown::of(n, v, d, indicator.numerator_is_count, threshold));
        }
    }
    Ok(out)
}

/// The trend of `place` with its parent and (up to twelve) siblings.
pub async fn for_place(
    state: &AppState,
    actor: &Actor,
    place: &Place,
    ancestors: &[Place],
    indicator: &Indicator,
    period: Period,
) -> Result<Markup, AppError> {
    let periods = periods_ending(period);
    let mut places = vec![place.clone()];
    let parent = ancestors.last().cloned();
    if let Some(parent) = &parent {
        places.push(parent.clone());
        let siblings = state
            .store
            .children(&scope(actor, Action::ViewPlace), Some(parent.id))
            .await?;
        places.extend(
            siblings
                .into_iter()
                .map(|s| s.place)
                .filter(|s| s.id != place.id)
                .take(12),
        );
    }
    let values = values_over(state, actor, indicator, &places, &periods).await?;
    let lines: Vec<Line<'_>> = places
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, (p, v))| Line {
            label: &p.name_fa,
            values: v.iter().map(Shown::value).collect(),
            class: match i {
                0 => "line-self",
                1 if parent.is_some() => "line-parent",
                _ => "line-sibling",
            },
        })
        .collect();
    Ok(line_chart(
        &format!("روند {} در {}", indicator.name_fa, place.name_fa),
        &periods,
        &lines,
        JalaliDate::from_gregorian(state.clock.today()),
    ))
}

/// One line of a chart; `None` leaves a gap (no data or suppressed).
pub struct Line<'a> {
    pub label: &'a str,
    pub values: Vec<Option<f64>>,
    pub class: &'static str,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD: f64 = 36.0;

/// A period's name on an axis: a month by its name, with the year where the year
/// changes (or on the first label); others as always.
fn axis_label(p: Period, first: bool) -> String {
    match p {
        Period::Month(_, m) if !first && m != 1 => {
            hamafza_core::jalali::MONTH_NAMES[usize::from(m - 1)].to_string()
        }
        _ => p.label(),
    }
}

/// Every how many periods an axis label fits without touching its neighbours.
fn label_step(labels: &[String], gap: f64) -> usize {
    // Persian at 13 px: about 7 px a letter, with room either side.
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 7.0 + 8.0;
    ((widest / gap.max(1.0)).ceil() as usize).max(1)
}

/// A line chart read right to left: the earliest period on the right. A period not
/// over yet (`today` inside it) is shaded and labelled «ناقص», and the line into it is
/// drawn faint and broken, so a running month never reads as a drop; a chart with no
/// value at all says so instead of drawing empty axes.
pub fn line_chart(
    title: &str,
    periods: &[Period],
    lines: &[Line<'_>],
    today: JalaliDate,
) -> Markup {
    if lines.iter().all(|l| l.values.iter().all(Option::is_none)) {
        return html! {
            figure.trend.empty {
                p.hint role="note" { (title) ": برای این دوره‌ها داده‌ای (یا شماری بیش از حد نمایش) نیست." }
            }
        };
    }
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    let top = if max > 0.0 { max } else { 1.0 };
    let max = top * 1.1;
    let n = periods.len().max(2) as f64;
    let gap = (W - 2.0 * PAD) / (n - 1.0);
    let x = |i: usize| W - PAD - i as f64 * gap;
    let y = |v: f64| H - PAD - v / max * (H - 2.0 * PAD);
    let incomplete: Vec<bool> = periods.iter().map(|p| p.last_day() >= today).collect();
    let labels: Vec<String> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| axis_label(*p, i == 0))
        .collect();
    let step = label_step(&labels, gap);
    let last = periods.len().saturating_sub(1);
    // Self last, so it is drawn on top.
    let mut order: Vec<&Line<'_>> = lines.iter().collect();
    order.sort_by_key(|l| l.class == "line-self");
    let points = |run: &[(usize, f64)]| {
        run.iter()
            .map(|&(i, v)| format!("{:.1},{:.1}", x(i), y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        figure.trend {
            svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) {
                title { (title) }
                @for (i, partial) in incomplete.iter().enumerate() {
                    @if *partial {
                        rect.partial-band x=(format!("{:.1}", x(i) - gap / 2.0)) y=(PAD / 2.0) width=(format!("{gap:.1}")) height=(H - PAD * 1.5) {}
                        text.partial-label x=(format!("{:.1}", x(i))) y=(PAD / 2.0 + 12.0) text-anchor="middle" { "ناقص" }
                    }
                }
                line.axis x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) {}
                text.value x=(W - PAD + 4.0) y=(y(top) + 4.0) direction="rtl" text-anchor="start" { (value_fa(top)) }
                @for (i, label) in labels.iter().enumerate() {
                    @if (last - i).is_multiple_of(step) {
                        text.label x=(format!("{:.1}", x(i))) y=(H - 12.0) text-anchor="middle" { (label) }
                    }
                }
                @for l in &order {
                    g class=(l.class) {
                        title { (l.label) }
                        @for seg in segments(&l.values) {
                            @let split = seg.iter().position(|&(i, _)| incomplete[i]).unwrap_or(seg.len());
                            @if split > 1 { polyline points=(points(&seg[..split])) {} }
                            @if split < seg.len() {
                                polyline.partial points=(points(&seg[split.saturating_sub(1)..])) {}
                            }
                        }
                        @for (i, v) in l.values.iter().enumerate() {
                            @if let Some(v) = v {
                                circle.partial[incomplete[i]] cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="3" {
                                    title { (l.label) " — " (periods[i].label()) @if incomplete[i] { " (ناقص، هنوز تمام نشده)" } ": " (value_fa(*v)) }
                                }
                            }
                        }
                    }
                }
            }
            figcaption.legend-lines {
                span.key.line-self { (lines.first().map(|l| l.label).unwrap_or("")) }
                @if lines.iter().any(|l| l.class == "line-parent") {
                    span.key.line-parent { (lines.iter().find(|l| l.class == "line-parent").map(|l| l.label).unwrap_or("")) " (بالادست)" }
                }
                @if lines.iter().any(|l| l.class == "line-sibling") { span.key.line-sibling { "هم‌ترازها" } }
                @if incomplete.iter().any(|p| *p) { span.key.partial { "دورهٔ ناقص (هنوز تمام نشده؛ افت آن واقعی نیست)" } }
            }
        }
    }
}

/// Runs of consecutive values, so gaps break the line.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out = vec![];
    let mut run = vec![];
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((i, *v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// `/atlas/compare?indicator=…&place=…&place=…`: the chosen places side by side over
/// recent periods, in Persian name order.
pub async fn compare_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(pairs): PageQuery<Vec<(String, String)>>,
) -> Result<Markup, AppError> {
    let actor = &user.actor;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let code = get("indicator").ok_or(AppError::BadRequest("شاخص انتخاب نشده است.".into()))?;
    let indicator = state
        .store
        .indicator(code)
        .await?
        .filter(|i| atlas::may_see(actor, i))
        .ok_or(AppError::NotFound)?;
    let mut places = Vec::new();
    for (_, id) in pairs.iter().filter(|(k, _)| k == "place").take(30) {
        places.push(
            atlas::visible_place(&state.store, actor, id)
                .await?
                .ok_or(AppError::NotFound)?,
        );
    }
    if places.is_empty() {
        return Err(AppError::BadRequest(
            "دست‌کم یک مکان برای مقایسه برگزینید.".into(),
        ));
    }
    sort_fa_by(&mut places, |p| p.name_fa.as_str());
    let today = JalaliDate::from_gregorian(state.clock.today());
    let periods = periods_ending(default_period(today));
    let values = values_over(&state, actor, &indicator, &places, &periods).await?;
    let body = html! {
        h1 { "مقایسه: " (indicator.name_fa) }
        p { a href=(format!("/atlas?indicator={}", indicator.code)) { "بازگشت به اطلس" } }
        div.table-wrap {
            table.compare {
                thead { tr { th { "مکان" } @for p in &periods { th { (p.label()) } } } }
                tbody {
                    @for (place, row) in places.iter().zip(&values) {
                        tr {
                            th scope="row" { (place.name_fa) }
                            @for v in row { td { (shown_text(v)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("مقایسه", &user, Section::Atlas, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_periods_run_back_across_years() {
        let p = periods_ending(Period::Quarter(1404, 2));
        assert_eq!(p.first(), Some(&Period::Quarter(1402, 3)));
        assert_eq!(p.len(), 8);
        let m = periods_ending(Period::Month(1404, 3));
        assert_eq!(m.first(), Some(&Period::Month(1403, 4)));
        assert_eq!(segments(&[Some(1.0), None, Some(2.0), Some(3.0)]).len(), 2);
    }

    fn line(values: Vec<Option<f64>>) -> Line<'static> {
        Line {
            label: "محلهٔ آزمون",
            values,
            class: "line-self",
        }
    }

    #[test]
    fn a_running_period_is_marked_not_drawn_as_a_drop() {
        let periods = periods_ending(Period::Month(1404, 7));
        // Mehr 1404 is running on its 19th; its count so far is low.
        let today = JalaliDate::new(1404, 7, 19).unwrap();
        let mut values: Vec<Option<f64>> = vec![Some(40.0); 11];
        values.push(Some(9.0));
        let svg = line_chart("روند", &periods, &[line(values)], today).into_string();
        assert!(
            svg.contains("partial-band") && svg.contains(">ناقص<"),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<polyline class="partial""#),
            "the line into it is faint"
        );
        assert_eq!(
            svg.matches("partial-band").count(),
            1,
            "only the running month"
        );
        // Twelve month names would overlap on the axis: not all are written.
        let labels = svg.matches(r#"<text class="label""#).count();
        assert!((2..12).contains(&labels), "{labels} labels");
        // A month long over is not marked.
        let later = JalaliDate::new(1404, 9, 1).unwrap();
        let svg = line_chart("روند", &periods, &[line(vec![Some(1.0); 12])], later).into_string();
        assert!(!svg.contains("partial-band"));
    }

    #[test]
    fn an_empty_chart_says_so() {
        let periods = periods_ending(Period::Quarter(1404, 2));
        let today = JalaliDate::new(1404, 7, 19).unwrap();
        let html = line_chart("روند", &periods, &[line(vec![None; 8])], today).into_string();
        assert!(!html.contains("<svg"), "{html}");
        assert!(html.contains("داده‌ای"), "{html}");
        assert!(!html.contains("۰٫۹۱"), "no stray axis value");
    }
}
