//! The periodic resolutions report: for a council or an agency and a Jalali period, the
//! headline figures, a chart by state, what changed in the period, the overdue and stalled
//! lists, and the full table — in Persian, right to left, with page numbers and the
//! period in every page's header.

use std::collections::HashMap;

use hamafza_core::access::Scope;
use hamafza_core::ids::{AgencyId, ResolutionId};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::numbers::{format_decimal, format_int};
use hamafza_core::resolutions::State;
use hamafza_core::scorecard::Summary;
use hamafza_store::{Agency, Council, ResolutionFilter, ResolutionRow, Store, StoreResult};

use crate::typeset::{self, string};

/// Whose resolutions the report covers.
pub enum Subject {
    Council(Council),
    /// An agency's resolutions (as the responsible or a collaborating agency), across
    /// every council.
    Agency(Agency),
}

impl Subject {
    fn title(&self) -> String {
        match self {
            Subject::Council(c) => c.name_fa.clone(),
            Subject::Agency(a) => a.name_fa.clone(),
        }
    }

    fn filter(&self) -> ResolutionFilter {
        match self {
            Subject::Council(c) => ResolutionFilter {
                council_id: Some(c.id),
                ..ResolutionFilter::default()
            },
            Subject::Agency(a) => ResolutionFilter {
                agency_id: Some(a.id),
                ..ResolutionFilter::default()
            },
        }
    }
}

/// Everything the report prints, gathered from the store.
pub struct ResolutionReport {
    title: String,
    period: Period,
    today: time::Date,
    rows: Vec<ResolutionRow>,
    summary: Summary,
    decided_in_period: usize,
    changes: Vec<(String, String, String, String)>,
    updates_in_period: i64,
    agency_names: HashMap<AgencyId, String>,
}

fn jalali(iso: Option<&str>) -> String {
    iso.and_then(|s| {
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
    })
    .map(|d| JalaliDate::from_gregorian(d).format_numeric())
    .unwrap_or_default()
}

/// Gathers the report: the subject's resolutions within `scope` (the caller's, from
/// `hamafza_core::access::scope(actor, Action::ExportResolutions)`) decided up to the
/// end of the period, their states as of `today`, and what happened within the period.
/// A report is never wider than the list the same caller sees.
pub async fn gather(
    store: &Store,
    scope: &Scope,
    subject: Subject,
    period: Period,
    today: time::Date,
) -> StoreResult<ResolutionReport> {
    let (start, end) = period.gregorian_range();
    let mut filter = subject.filter();
    filter.decided_between = Some((time::Date::MIN, end));
    let rows = store.list_resolutions(scope, &filter, today).await?;
    let facts: Vec<_> = rows.iter().map(ResolutionRow::facts).collect();
    let summary = Summary::of(&facts, today);
    let start_iso = iso(start);
    let decided_in_period = rows
        .iter()
        .filter(|r| r.resolution.decided_on.as_deref() >= Some(start_iso.as_str()))
        .count();
    let numbers: HashMap<ResolutionId, String> = rows
        .iter()
        .map(|r| (r.resolution.id, r.resolution.number.to_persian()))
        .collect();
    let changes = store
        .changes_between(scope, &subject.filter(), start, end)
        .await?
        .into_iter()
        .map(|c| {
            let name = |s: Option<&str>| {
                s.and_then(State::from_code)
                    .map_or_else(|| "—".into(), |st| st.name_fa().to_string())
            };
            (
                numbers.get(&c.resolution_id).cloned().unwrap_or_default(),
                jalali(Some(&c.on_date)),
                name(c.from_state.as_deref()),
                name(Some(&c.to_state)),
            )
        })
        .collect();
    let updates_in_period = store
        .updates_between(scope, &subject.filter(), start, end)
        .await?;
    let agency_names = store
        .list_agencies(&Scope::reference_lists())
        .await?
        .into_iter()
        .map(|a| (a.id, a.name_fa))
        .collect();
    Ok(ResolutionReport {
        title: subject.title(),
        period,
        today,
        rows,
        summary,
        decided_in_period,
        changes,
        updates_in_period,
        agency_names,
    })
}

use hamafza_core::jalali::iso_day as iso;

fn truncate(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(chars).collect::<String>())
    }
}

/// A Typst array of rows of string literals.
fn table_data(rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from("(");
    for row in rows {
        out.push('(');
        for cell in row {
            out.push_str(&string(&cell));
            out.push(',');
        }
        out.push_str("),");
    }
    out.push(')');
    out
}

/// Most changes listed one by one; the rest are counted.
const MAX_CHANGES_LISTED: usize = 300;

impl ResolutionReport {
    fn name(&self, agency: &AgencyId) -> String {
        self.agency_names.get(agency).cloned().unwrap_or_default()
    }

    fn line(&self, row: &ResolutionRow) -> Vec<String> {
        let r = &row.resolution;
        let facts = row.facts();
        let mut state = r.state.name_fa().to_string();
        if facts.is_overdue(self.today) {
            state.push_str(" · معوق");
        }
        if facts.is_stalled(self.today) {
            state.push_str(" · راکد");
        }
        vec![
            r.number.to_persian(),
            truncate(&r.body, 180),
            self.name(&r.responsible_agency_id),
            jalali(r.deadline.as_deref()),
            state,
            row.latest
                .as_ref()
                .map(|u| {
                    format!(
                        "{} ({}٪): {}",
                        jalali(Some(&u.on_date)),
                        format_int(u.percent),
                        truncate(&u.body, 120)
                    )
                })
                .unwrap_or_default(),
        ]
    }

    /// The Typst source of the report.
    pub fn source(&self) -> String {
        let s = &self.summary;
        let pct = s.on_time_rate.map_or_else(
            || "—".into(),
            |r| format!("{}٪", format_decimal(r * 100.0, 0)),
        );
        let median = s
            .median_days_to_verify
            .map_or_else(|| "—".into(), |d| format_decimal(d, 1));
        let figures = [
            ("همهٔ مصوبات", format_int(s.total as i64)),
            (
                "اعلام انجام، در انتظار تأیید",
                format_int(s.count(State::ReportedDone) as i64),
            ),
            (
                "انجام‌شده و تأییدشده",
                format_int(s.count(State::Verified) as i64),
            ),
            ("معوق", format_int(s.overdue as i64)),
            ("راکد", format_int(s.stalled as i64)),
            ("تأیید به‌موقع", pct),
            ("میانهٔ روز از ابلاغ تا تأیید", median),
        ];
        let max = s.by_state.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let bars = table_data(s.by_state.iter().map(|(st, n)| {
            vec![
                st.name_fa().to_string(),
                format!("{}", (*n as f64 / max as f64 * 100.0).round()),
                format_int(*n as i64),
            ]
        }));
        let today = self.today;
        let overdue: Vec<&ResolutionRow> = self
            .rows
            .iter()
            .filter(|r| r.facts().is_overdue(today))
            .collect();
        let stalled: Vec<&ResolutionRow> = self
            .rows
            .iter()
            .filter(|r| r.facts().is_stalled(today))
            .collect();
        let mut counts: Vec<(String, usize)> = Vec::new();
        for (_, _, _, to) in &self.changes {
            match counts.iter_mut().find(|(s, _)| s == to) {
                Some((_, n)) => *n += 1,
                None => counts.push((to.clone(), 1)),
            }
        }
        let changed = counts
            .iter()
            .map(|(s, n)| format!("{} مورد به «{}»", format_int(*n as i64), s))
            .collect::<Vec<_>>()
            .join("، ");
        let change_rows = table_data(
            self.changes
                .iter()
                .take(MAX_CHANGES_LISTED)
                .map(|(n, at, from, to)| vec![n.clone(), at.clone(), from.clone(), to.clone()]),
        );
        let more_changes = self.changes.len().saturating_sub(MAX_CHANGES_LISTED);
        let full = table_data(self.rows.iter().map(|r| self.line(r)));
        let (start, end) = (self.period.first_day(), self.period.last_day());
        let mut src = String::new();
        src.push_str(&format!(
            r##"#let title = {title}
#let period = {period}
#set document(title: title + " — " + period)
#set text(font: "Vazirmatn", lang: "fa", dir: rtl, size: 9pt)
#set page(paper: "a4", margin: (x: 1.5cm, top: 2.2cm, bottom: 1.8cm),
  header: context [
    #set text(size: 8pt, fill: luma(90))
    #grid(columns: (1fr, auto), [گزارش پیگیری مصوبات — #title — #period],
      [صفحهٔ #numbering("۱", here().page()) از #numbering("۱", counter(page).final().first())])
    #line(length: 100%, stroke: 0.4pt + luma(170))
  ])
#set table(stroke: 0.4pt + luma(170), inset: 4pt)
#show table.cell.where(y: 0): set text(weight: "bold")
#let figure-card(label, value) = box(width: 100%, inset: 6pt, stroke: 0.5pt + luma(170), radius: 3pt)[
  #text(size: 15pt, weight: "bold")[#value] \ #text(size: 8pt)[#label]]
#let resolution-table(rows) = table(
  columns: (auto, 2.2fr, 1.2fr, auto, auto, 1.6fr),
  table.header([شماره], [متن], [دستگاه مسئول], [مهلت], [وضعیت], [آخرین گزارش]),
  ..rows.flatten())

#text(size: 16pt, weight: "bold")[گزارش پیگیری مصوبات: #title]

دورهٔ گزارش: *#period* ({start} تا {end}). وضعیت‌ها تا {today}.

== چکیده
#grid(columns: (1fr, 1fr, 1fr, 1fr), gutter: 6pt, {figures})

== شمار مصوبات به تفکیک وضعیت
#let bars = {bars}
#grid(columns: (auto, 1fr, auto), gutter: 4pt, align: horizon,
  ..bars.map(b => (b.at(0), box(width: float(b.at(1)) * 1%, height: 7pt, fill: rgb("#0b6e69")), b.at(2))).flatten())

== آنچه در این دوره گذشت
در این دوره {decided} مصوبهٔ تازه تصویب شد و {updates} گزارش پیشرفت رسید.{changed_line}

"##,
            title = string(&self.title),
            period = string(&hamafza_core::digits::to_persian(&self.period.label())),
            start = start.format_numeric(),
            end = end.format_numeric(),
            today = JalaliDate::from_gregorian(today).format_numeric(),
            figures = figures
                .iter()
                .map(|(l, v)| format!("figure-card({}, {})", string(l), string(v)))
                .collect::<Vec<_>>()
                .join(", "),
            bars = bars,
            decided = format_int(self.decided_in_period as i64),
            updates = format_int(self.updates_in_period),
            changed_line = if changed.is_empty() {
                " وضعیت هیچ مصوبه‌ای تغییر نکرد.".to_string()
            } else {
                format!(" تغییر وضعیت‌ها: {changed}.")
            },
        ));
        if !self.changes.is_empty() {
            src.push_str(&format!(
                "#table(columns: (auto, auto, 1fr, 1fr), table.header([شماره], [تاریخ], [از], [به]), ..{change_rows}.flatten())\n"
            ));
            if more_changes > 0 {
                src.push_str(&format!(
                    "\nو {} تغییر دیگر.\n",
                    format_int(more_changes as i64)
                ));
            }
        }
        let overdue_rows = table_data(overdue.iter().map(|row| {
            let r = &row.resolution;
            let late = row.facts().deadline.map_or(0, |d| (today - d).whole_days());
            vec![
                r.number.to_persian(),
                truncate(&r.body, 70),
                self.name(&r.responsible_agency_id),
                jalali(r.deadline.as_deref()),
                format_int(late),
            ]
        }));
        let stalled_rows = table_data(stalled.iter().map(|row| {
            let r = &row.resolution;
            let quiet = (today - row.facts().last_activity_on).whole_days();
            vec![
                r.number.to_persian(),
                truncate(&r.body, 70),
                self.name(&r.responsible_agency_id),
                jalali(Some(&r.last_activity_on)),
                format_int(quiet),
            ]
        }));
        // The overdue and stalled lists are short lines (the full text is in the last
        // table): who owes what, and for how long.
        let lists = [
            (
                "مصوبات معوق",
                &overdue_rows,
                "مصوبهٔ معوقی نیست.",
                overdue.len(),
                "مهلت",
                "روز تأخیر",
            ),
            (
                "مصوبات راکد",
                &stalled_rows,
                "مصوبهٔ راکدی نیست.",
                stalled.len(),
                "آخرین فعالیت",
                "روز بی‌گزارش",
            ),
        ];
        for (heading, rows, empty, n, date, days) in lists {
            src.push_str(&format!("\n== {heading} ({})\n", format_int(n as i64)));
            if n == 0 {
                src.push_str(empty);
                src.push('\n');
            } else {
                src.push_str(&format!(
                    "#table(columns: (auto, 2fr, 1.2fr, auto, auto), table.header([شماره], [متن], [دستگاه مسئول], [{date}], [{days}]), ..{rows}.flatten())\n"
                ));
            }
        }
        src.push_str(&format!(
            "\n== همهٔ مصوبات ({})\n#resolution-table({full})\n",
            format_int(self.rows.len() as i64)
        ));
        src
    }

    /// The report as PDF bytes.
    pub fn pdf(&self) -> Result<Vec<u8>, String> {
        typeset::pdf(self.source())
    }

    /// A file name such as `resolutions-syn-d01-hq-1404Q2.pdf`.
    pub fn file_name(&self, code: &str) -> String {
        format!("resolutions-{code}-{}.pdf", self.period.code())
    }
}
