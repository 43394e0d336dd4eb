//! Charts drawn on the server as SVG: no script, the same picture in every browser, and
//! readable by screen readers through their titles.

use maud::{Markup, html};

use crate::layout::num;

/// One bar: a Persian label, a count, and a CSS class for its colour.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: usize,
    pub class: &'static str,
}

const WIDTH: usize = 520;
const LABEL_WIDTH: usize = 150;
const ROW: usize = 28;

/// A horizontal bar chart that reads right to left: labels on the right, bars growing
/// leftwards, each count at the end of its bar.
pub fn bars(title: &str, bars: &[Bar<'_>]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let track = WIDTH - LABEL_WIDTH - 50;
    let height = bars.len() * ROW + 8;
    let right = WIDTH - LABEL_WIDTH;
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title) {
            title { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = i * ROW + 4;
                @let w = b.value * track / max;
                g.bar {
                    title { (b.label) ": " (num(b.value as i64)) }
                    text.label x=(WIDTH - 4) y=(y + 18) direction="rtl" text-anchor="start" { (b.label) }
                    rect class=(b.class) x=(right - w) y=(y + 4) width=(w.max(1)) height=(ROW - 10) rx="3" {}
                    text.value x=(right - w - 6) y=(y + 18) direction="rtl" text-anchor="start" { (num(b.value as i64)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_show_persian_counts() {
        let svg = bars(
            "وضعیت مصوبات",
            &[
                Bar {
                    label: "تأییدشده",
                    value: 10,
                    class: "s-verified",
                },
                Bar {
                    label: "اعلام انجام",
                    value: 5,
                    class: "s-reported",
                },
                Bar {
                    label: "لغو",
                    value: 0,
                    class: "s-closed",
                },
            ],
        )
        .into_string();
        assert!(
            svg.contains(r#"width="320""#),
            "the largest bar takes the whole track"
        );
        assert!(svg.contains(r#"width="160""#), "half of it");
        assert!(svg.contains("۱۰") && svg.contains("۵"));
        assert!(svg.contains("<title>وضعیت مصوبات</title>"));
    }
}
