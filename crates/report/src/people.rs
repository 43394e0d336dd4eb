//! A person's access report: every read of their record — who, from which agency,
//! when, doing what and why — as a Persian PDF a privacy officer can hand over. It
//! names the person by their record's id only (the report may travel further than
//! the record).

use crate::typeset::{self, string};

/// Everything the report prints, already in Persian.
pub struct AccessReport {
    /// The record's id.
    pub person: String,
    pub made_on: String,
    /// Who asked for the report and why.
    pub made_for: String,
    /// (when, user, agency, what, purpose) per read, oldest first.
    pub reads: Vec<[String; 5]>,
}

impl AccessReport {
    pub fn source(&self) -> String {
        let rows: String = self
            .reads
            .iter()
            .flat_map(|r| r.iter().map(|c| format!("[#{}], ", string(c))))
            .collect();
        format!(
            r#"#set document(title: "گزارش دسترسی")
#set text(font: "Vazirmatn", lang: "fa", dir: rtl, size: 9pt)
#set page(paper: "a4", margin: (x: 1.5cm, top: 2cm, bottom: 1.8cm),
  footer: context [#set text(size: 8pt, fill: luma(90)); صفحهٔ #numbering("۱", here().page()) از #numbering("۱", counter(page).final().first())])
#set table(stroke: 0.4pt + luma(170), inset: 4pt)
#show table.cell.where(y: 0): set text(weight: "bold")

#text(size: 15pt, weight: "bold")[گزارش دسترسی به پروندهٔ یک فرد]

پرونده: #text(dir: ltr)[#{person}] — تهیه‌شده در #{made_on} — #{made_for}

هر بار دیدن این پرونده، از دفتر رویدادهای زنجیره‌ای هم‌افزا: کاربر، دستگاه، زمان، کار و هدفی که پیش از دیدن گفته شد. #{count} بار.

#table(columns: (auto, auto, 1fr, auto, 1fr),
  table.header([زمان], [کاربر], [دستگاه], [کار], [هدف]),
  {rows})
"#,
            person = string(&self.person),
            made_on = string(&self.made_on),
            made_for = string(&self.made_for),
            count = string(&hamafza_core::numbers::format_int(self.reads.len() as i64)),
            rows = rows,
        )
    }

    pub fn pdf(&self) -> Result<Vec<u8>, String> {
        typeset::pdf(self.source())
    }
}
