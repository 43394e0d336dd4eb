//! The page shell every page shares: header, navigation, footer.

use hamafza_core::access::{Action, Target, decide};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::auth::CurrentUser;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Places,
    Atlas,
    Councils,
    Resolutions,
    People,
    Inbox,
    Agencies,
    Users,
    Audit,
}

/// The attribution OpenStreetMap's licence asks for, wherever its boundaries are shown.
pub fn osm_attribution() -> Markup {
    html! { "مرز استان‌ها و شهرستان‌ها: " bdi dir="ltr" { "© OpenStreetMap contributors (ODbL)" } }
}

/// A full page for a signed-in user.
pub fn page(title: &str, user: &CurrentUser, section: Section, body: Markup) -> Markup {
    let can = |action| decide(&user.actor, action, Target::Collection).is_allowed();
    let nav = [
        (Section::Home, "/", "خانه", true),
        (Section::Inbox, "/inbox", "کارتابل", true),
        (Section::Places, "/places", "مکان‌ها", true),
        (Section::Atlas, "/atlas", "اطلس", true),
        (Section::Councils, "/councils", "شوراها", true),
        (Section::Resolutions, "/resolutions", "مصوبات", true),
        (
            Section::People,
            "/people",
            "افراد",
            can(Action::LocatePerson),
        ),
        (Section::Agencies, "/agencies", "دستگاه‌ها", true),
        (Section::Users, "/users", "کاربران", can(Action::ViewUsers)),
        (
            Section::Audit,
            "/audit",
            "دفتر رویدادها",
            can(Action::ViewAudit),
        ),
    ];
    shell(
        title,
        html! {
            header.top {
                a.brand href="/" { "هم‌افزا" }
                nav aria-label="بخش‌ها" {
                    @for (s, href, label, shown) in nav {
                        @if shown {
                            a href=(href) aria-current=[(s == section).then_some("page")] { (label) }
                        }
                    }
                }
                div.who {
                    span { (user.user.display_name) }
                    form method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(user.csrf());
                        button type="submit" { "خروج" }
                    }
                }
            }
            main #main { (body) }
            footer {
                "هم‌افزا — سامانهٔ هم‌افزایی دستگاه‌ها در مدیریت مسائل اجتماعی محله‌ها. "
                (osm_attribution()) "."
            }
        },
    )
}

/// A page with no signed-in user (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top { a.brand href="/" { "هم‌افزا" } }
            main #main { (body) }
        },
    )
}

fn shell(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fa" dir="rtl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — هم‌افزا" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" href="data:,";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "پرش به محتوا" }
                (content)
            }
        }
    }
}

pub fn error_page(title: &str, detail: &str) -> Markup {
    bare(
        title,
        html! {
            h1 { (title) }
            p.flash.error role="alert" { (detail) }
            p { a href="/" { "بازگشت به خانه" } }
        },
    )
}

/// Persian-digit integer with grouping.
pub fn num(n: i64) -> String {
    hamafza_core::numbers::format_int(n)
}

/// A stored instant as Tehran-local Jalali date and time.
pub fn instant(s: &str) -> String {
    hamafza_store::parse_instant(s)
        .map(hamafza_core::jalali::format_instant)
        .unwrap_or_else(|| s.to_string())
}

/// A technical term as a person reads it: its plain Persian words, and a short
/// explanation both under it (phones have no hover) and on hover.
pub fn term(plain: &str, explain: &str) -> Markup {
    html! {
        span.term title=(explain) { (plain) }
        small.explain { (explain) }
    }
}

/// [`term`] where there is no room for the explanation under it (a table's head):
/// on hover, and for screen readers.
pub fn term_short(plain: &str, explain: &str) -> Markup {
    html! { span.term title=(explain) aria-description=(explain) { (plain) } }
}

/// A place's name with its level word in front, unless the name begins with it
/// already («منطقهٔ ۱», not «منطقه منطقهٔ ۱»).
pub fn place_title(p: &hamafza_store::Place) -> String {
    let level = p.level.name_fa();
    if p.name_fa.starts_with(level) {
        p.name_fa.clone()
    } else {
        format!("{level} {}", p.name_fa)
    }
}

/// Latin text or an id inside Persian text.
pub fn bdi(s: &str) -> Markup {
    html! { bdi dir="ltr" { (s) } }
}

pub fn synthetic_badge() -> Markup {
    html! { span.badge.synthetic title="این داده ساختگی است و مرزها و نام‌هایش واقعی نیستند" { "ساختگی" } }
}

pub fn raw(s: String) -> PreEscaped<String> {
    PreEscaped(s)
}
