//! The home page: what exists, and what is coming.

use axum::extract::State;
use hamafza_core::access::{Action, scope};
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::layout::{self, Section, num};

/// The capabilities later issues add, shown as placeholders so users see the whole plan.
const COMING: [(&str, &str); 5] = [
    (
        "اطلس محله‌ها",
        "شاخص‌ها، نقشه‌های رنگی، رتبه‌بندی محله‌های بحرانی و کانون‌های داغ",
    ),
    (
        "مصوبات شوراها",
        "پیگیری هر مصوبه تا نتیجهٔ راستی‌آزمایی‌شده و گزارش دوره‌ای",
    ),
    (
        "برنامهٔ محله‌محور",
        "محله‌های هدف، محورهای هفت‌گانه، دستگاه راهبر و پروژه‌ها",
    ),
    (
        "ثبت و مددکاری",
        "ثبت آسیب‌دیدگان با حفظ کرامت، ارجاع میان دستگاه‌ها",
    ),
    (
        "عملیات میدانی",
        "رویدادهای میدانی با شواهد، بازدیدهای مشترک و پیگیری",
    ),
];

pub async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Markup, AppError> {
    let store = &state.store;
    let by_level = store
        .count_places_by_level(&scope(&user.actor, Action::ViewPlace))
        .await?;
    let agencies = store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?
        .len() as i64;
    let users = store
        .count_users(&scope(&user.actor, Action::ViewUsers))
        .await?;
    let body = html! {
        h1 { "خوش آمدید، " (user.user.display_name) }
        h2 { "آنچه در حوزهٔ شما هست" }
        div.cards {
            @for (level, n) in &by_level {
                a.card href={ "/places" } {
                    div.n { (num(*n)) }
                    div { (level.name_fa()) }
                }
            }
            div.card { div.n { (num(agencies)) } div { "دستگاه" } }
            @if users > 0 { div.card { div.n { (num(users)) } div { "کاربر" } } }
        }
        @if by_level.is_empty() {
            p.hint { "هنوز مکانی در حوزهٔ شما ثبت نشده است." }
        }
        h2 { "به‌زودی" }
        div.cards {
            @for (title, what) in COMING {
                div.card.soon { strong { (title) } p { (what) } }
            }
        }
    };
    Ok(layout::page("خانه", &user, Section::Home, body))
}
