//! The district profile: one PDF with the map of priority classes, the ranking table,
//! the indicators that drive it, and the hot spots — the atlas a district's social
//! headquarters files as its strategic document.

use crate::typeset::{self, string};

/// One ranked place.
pub struct ProfileRow {
    pub rank: String,
    pub name: String,
    pub decile: String,
    pub class: String,
    pub flags: String,
}

/// Everything the profile prints, already in Persian.
pub struct DistrictProfile {
    pub place: String,
    pub period: String,
    pub index: String,
    pub made_on: String,
    /// The method, one sentence per step.
    pub method: Vec<String>,
    /// The map as SVG (the same drawing as the page).
    pub map_svg: String,
    /// The map legend: (colour, label).
    pub legend: Vec<(String, String)>,
    pub ranking: Vec<ProfileRow>,
    /// For the most critical places: name and the indicators that weigh most.
    pub drivers: Vec<(String, String)>,
    /// Hot spots: the method line, counts per class, and the strongest cells.
    pub hotspot_note: String,
    pub hotspot_counts: Vec<(String, String)>,
    pub hotspot_cells: Vec<Vec<String>>,
}

fn rows(data: impl Iterator<Item = Vec<String>>) -> String {
    let cells: Vec<String> = data
        .flat_map(|r| r.into_iter().map(|c| format!("[#{}]", string(&c))))
        .collect();
    cells.join(", ")
}

impl DistrictProfile {
    pub fn source(&self) -> String {
        let legend = self
            .legend
            .iter()
            .map(|(colour, label)| {
                format!(
                    "box(width: 8pt, height: 6pt, fill: rgb({}), stroke: 0.3pt)[] + h(3pt) + [#{}]",
                    string(colour),
                    string(label)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let method = self
            .method
            .iter()
            .map(|m| format!("+ #{}\n", string(m)))
            .collect::<String>();
        let ranking = rows(self.ranking.iter().map(|r| {
            vec![
                r.rank.clone(),
                r.name.clone(),
                r.decile.clone(),
                r.class.clone(),
                r.flags.clone(),
            ]
        }));
        let drivers = rows(self.drivers.iter().map(|(n, d)| vec![n.clone(), d.clone()]));
        let counts = rows(
            self.hotspot_counts
                .iter()
                .map(|(l, n)| vec![l.clone(), n.clone()]),
        );
        let cells = rows(self.hotspot_cells.iter().cloned());
        format!(
            r#"#let title = {place}
#let period = {period}
#set document(title: "نمایهٔ " + title + " — " + period)
#set text(font: "Vazirmatn", lang: "fa", dir: rtl, size: 9pt)
#set page(paper: "a4", margin: (x: 1.5cm, top: 2.2cm, bottom: 1.8cm),
  header: context [
    #set text(size: 8pt, fill: luma(90))
    #grid(columns: (1fr, auto), [نمایهٔ اجتماعی — #title — #period],
      [صفحهٔ #numbering("۱", here().page()) از #numbering("۱", counter(page).final().first())])
    #line(length: 100%, stroke: 0.4pt + luma(170))
  ])
#set table(stroke: 0.4pt + luma(170), inset: 4pt)
#show table.cell.where(y: 0): set text(weight: "bold")
#set enum(numbering: "۱.")

#text(size: 16pt, weight: "bold")[نمایهٔ اجتماعی #title]

#{index} — دورهٔ *#period*. تهیه‌شده در {made_on}.

== نقشهٔ رده‌های اولویت
#image(bytes({svg}), format: "svg", width: 78%)
#grid(columns: 5, gutter: 8pt, {legend})

== روش
{method}
== رتبه‌بندی
#table(columns: (auto, 1fr, auto, auto, auto),
  table.header([رتبه], [مکان], [دهک], [رده], [پرچم‌ها]),
  {ranking})

== آنچه رتبهٔ بحرانی‌ترین‌ها را می‌سازد
#table(columns: (auto, 1fr), table.header([مکان], [شاخص‌های با بیشترین سهم]), {drivers})

== کانون‌های داغ
#{hotspot_note}

#table(columns: (1fr, auto), table.header([رده], [یاخته]), {counts})

#table(columns: (auto, 1fr, auto, auto), table.header([یاخته], [مکان], [رویداد], [z]), {cells})
"#,
            place = string(&self.place),
            period = string(&self.period),
            index = string(&self.index),
            made_on = string(&self.made_on).trim_matches('"'),
            svg = string(&self.map_svg),
            legend = legend,
            method = method,
            ranking = ranking,
            drivers = drivers,
            hotspot_note = string(&self.hotspot_note),
            counts = counts,
            cells = cells,
        )
    }

    pub fn pdf(&self) -> Result<Vec<u8>, String> {
        typeset::pdf(self.source())
    }
}

/// Gives an SVG drawn for a page (colours from its classes) its colours inline, for a
/// document without the site's stylesheet.
pub fn with_colours(svg: &str, class_colours: &[(&str, &str)]) -> String {
    let mut style = String::from(
        "<style>.map-shape{fill:#eeeeee;stroke:#555555;stroke-width:0.6}.nodata{fill:#ffffff}",
    );
    for (class, colour) in class_colours {
        style.push_str(&format!(".{class}{{fill:{colour}}}"));
    }
    style.push_str("</style>");
    match svg.find('>') {
        Some(i) => format!("{}{}{}", &svg[..=i], style, &svg[i + 1..]),
        None => svg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that look like Typst markup are printed, not run; the map's colours are
    /// inlined; the document typesets.
    #[test]
    fn hostile_names_print_and_the_document_typesets() {
        let svg = with_colours(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path class="map-shape c3" d="M0 0L10 0L10 10Z"/></svg>"#,
            &[("c3", "#f03b20")],
        );
        assert!(svg.contains(".c3{fill:#f03b20}"));
        let evil = r#"#set page(fill: red)] [*محلهٔ* "\"#;
        let profile = DistrictProfile {
            place: evil.into(),
            period: "۱۴۰۴".into(),
            index: evil.into(),
            made_on: "۱۴۰۵/۰۹/۰۱".into(),
            method: vec![evil.into()],
            map_svg: svg,
            legend: vec![("#f03b20".into(), evil.into())],
            ranking: vec![ProfileRow {
                rank: "۱".into(),
                name: evil.into(),
                decile: "۱۰".into(),
                class: "بحرانی".into(),
                flags: "۲".into(),
            }],
            drivers: vec![(evil.into(), evil.into())],
            hotspot_note: evil.into(),
            hotspot_counts: vec![("کانون داغ".into(), "۳".into())],
            hotspot_cells: vec![vec!["892cf".into(), evil.into(), "۱۲".into(), "۲٫۶".into()]],
        };
        let source = profile.source();
        assert!(!source.contains("\n#set page(fill: red)"));
        let pdf = profile.pdf().expect("typesets");
        assert!(pdf.starts_with(b"%PDF"));
    }
}
