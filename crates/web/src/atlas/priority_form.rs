//! The weight-set form: a priority index is written down as a named set of indicators
//! with weights and method settings; saving it again under the same code makes the next
//! version, so every ranking can say which weights it used.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::numbers::parse_number;
use hamafza_core::priority::Standardise;
use hamafza_store::{NewPriorityIndex, PriorityIndex, Reference, WeightedIndicator, Who};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::CsrfForm;
use crate::extract::{FormPairs, PageQuery};
use crate::layout::{self, Section, bdi};

const REFUSED: &str = "تعریف شاخص اولویت تنها برای مدیر سامانه و تحلیل‌گر است.";

/// The form's contents, kept as typed when it comes back with an error.
struct Draft {
    code: String,
    name_fa: String,
    reference: String,
    standardise: String,
    min_population: String,
    shrink: bool,
    note_fa: String,
    /// Indicator code → weight as typed; an empty weight leaves the indicator out.
    weights: Vec<(String, String)>,
    existing: bool,
}

impl Draft {
    fn blank() -> Draft {
        Draft {
            code: String::new(),
            name_fa: String::new(),
            reference: Reference::Siblings.code().into(),
            standardise: Standardise::PercentileRank.code().into(),
            min_population: "0".into(),
            shrink: false,
            note_fa: String::new(),
            weights: Vec::new(),
            existing: false,
        }
    }

    fn of(index: &PriorityIndex) -> Draft {
        Draft {
            code: index.code.clone(),
            name_fa: index.name_fa.clone(),
            reference: index.reference.code().into(),
            standardise: index.standardise.code().into(),
            min_population: index.min_population.to_string(),
            shrink: index.shrink,
            note_fa: index.note_fa.clone().unwrap_or_default(),
            weights: index
                .items
                .iter()
                .map(|w| (w.indicator.clone(), w.weight.to_string()))
                .collect(),
            existing: true,
        }
    }

    fn from_form(form: &FormPairs) -> Draft {
        let text = |k: &str| form.get(k).unwrap_or("").trim().to_string();
        Draft {
            code: text("code"),
            name_fa: text("name_fa"),
            reference: text("reference"),
            standardise: text("standardise"),
            min_population: text("min_population"),
            shrink: form.get("shrink") == Some("1"),
            note_fa: text("note_fa"),
            weights: form
                .0
                .iter()
                .filter_map(|(k, v)| {
                    let code = k.strip_prefix("weight.")?;
                    let v = v.trim();
                    (!v.is_empty()).then(|| (code.to_string(), v.to_string()))
                })
                .collect(),
            existing: form.get("existing") == Some("1"),
        }
    }

    fn weight_of(&self, indicator: &str) -> &str {
        self.weights
            .iter()
            .find(|(c, _)| c == indicator)
            .map_or("", |(_, w)| w.as_str())
    }

    fn to_new(&self) -> Result<NewPriorityIndex, String> {
        let reference = Reference::from_code(&self.reference)
            .ok_or_else(|| "مجموعهٔ مرجع نامعتبر است.".to_string())?;
        let standardise = Standardise::from_code(&self.standardise)
            .ok_or_else(|| "روش استانداردسازی نامعتبر است.".to_string())?;
        let min_population = parse_number(&self.min_population)
            .filter(|p| *p >= 0.0 && p.fract() == 0.0)
            .ok_or_else(|| "کمینهٔ جمعیت باید عدد درست نامنفی باشد.".to_string())?;
        let items = self
            .weights
            .iter()
            .map(|(code, w)| {
                parse_number(w)
                    .map(|weight| WeightedIndicator {
                        indicator: code.clone(),
                        weight,
                    })
                    .ok_or_else(|| format!("وزن «{code}» باید عدد باشد."))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewPriorityIndex {
            code: self.code.clone(),
            name_fa: self.name_fa.clone(),
            reference,
            standardise,
            min_population: min_population as i64,
            shrink: self.shrink,
            items,
            note_fa: Some(self.note_fa.clone()).filter(|n| !n.is_empty()),
        })
    }
}

#[derive(Deserialize)]
pub struct DefineQuery {
    code: Option<String>,
}

/// `GET /atlas/define-priority[?code=…]`: an empty form, or the latest version of `code`
/// to change into the next.
pub async fn define_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<DefineQuery>,
) -> Result<Markup, AppError> {
    if !atlas::may_define_priority(&user.actor) {
        return Err(AppError::Forbidden(REFUSED.into()));
    }
    let draft = match q.code.as_deref().filter(|c| !c.is_empty()) {
        None => Draft::blank(),
        Some(code) => Draft::of(
            &state
                .store
                .priority_index(code, None)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
    };
    form_markup(&state, &user, &draft, None).await
}

async fn form_markup(
    state: &AppState,
    user: &CurrentUser,
    d: &Draft,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    // The weight-set form is for those who define indices, who see every indicator.
    let indicators = state
        .store
        .indicators(&hamafza_core::access::scope(
            &user.actor,
            hamafza_core::access::Action::ViewIndicator,
        ))
        .await?;
    let title = if d.existing {
        format!("نسخهٔ تازهٔ «{}»", d.name_fa)
    } else {
        "شاخص اولویت تازه".to_string()
    };
    let body = html! {
        h1 { (title) }
        p { a href="/atlas/priority" { "اولویت‌بندی" } }
        p.hint { "شاخص‌هایی را که وزن دارند برگزینید؛ وزن برابر (۱) پیش‌فرض است. هر ذخیره با همان کد نسخهٔ تازه‌ای می‌سازد و رتبه‌بندی همیشه می‌گوید با کدام نسخه ساخته شده است." }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        form.stack method="post" action="/atlas/define-priority" {
            input type="hidden" name="csrf" value=(user.csrf());
            (super::indicator_pages::code_field(d.existing, &d.code, "حروف کوچک لاتین، رقم و خط زیر"))
            label { "نام" input type="text" name="name_fa" required maxlength="200" value=(d.name_fa); }
            label { "مجموعهٔ مرجع برای استانداردسازی"
                select name="reference" {
                    @for (code, label) in [("siblings", "هم‌سطح‌ها در همان مکان بالادست"), ("province", "همهٔ هم‌سطح‌ها در استان"), ("country", "همهٔ هم‌سطح‌ها در کشور")] {
                        option value=(code) selected[code == d.reference] { (label) }
                    }
                }
            }
            label { "استانداردسازی"
                select name="standardise" {
                    @for (code, label) in [("percentile", "رتبهٔ صدکی"), ("zscore", "نمرهٔ استاندارد (z)")] {
                        option value=(code) selected[code == d.standardise] { (label) }
                    }
                }
            }
            label { "کمینهٔ جمعیت برای رتبه‌بندی" input type="number" name="min_population" min="0" step="1" value=(d.min_population); }
            label.check { input type="checkbox" name="shrink" value="1" checked[d.shrink]; "کشیدن نرخ محله‌های کم‌جمعیت به سوی نرخ کل (بیز تجربی)" }
            table {
                thead { tr { th { "محور" } th { "شاخص" } th { "وزن (خالی = بیرون)" } } }
                tbody {
                    @for i in &indicators {
                        tr {
                            td { (i.theme) }
                            td { (i.name_fa) " " span.hint { (bdi(&i.code)) } }
                            td { input type="text" inputmode="decimal" size="5" dir="ltr"
                                name=(format!("weight.{}", i.code)) value=(d.weight_of(&i.code))
                                aria-label=(format!("وزن {}", i.name_fa)); }
                        }
                    }
                }
            }
            label { "یادداشت" textarea name="note_fa" rows="2" maxlength="2000" { (d.note_fa) } }
            button.primary type="submit" { @if d.existing { "ذخیرهٔ نسخهٔ تازه" } @else { "ذخیره" } }
        }
    };
    Ok(layout::page(&title, user, Section::Atlas, body))
}

/// `POST /atlas/define-priority`: saves the weight set and opens its ranking.
pub async fn define_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    if !atlas::may_define_priority(&user.actor) {
        return AppError::Forbidden(REFUSED.into()).into_response();
    }
    let draft = Draft::from_form(&form);
    let saved = match draft.to_new() {
        Ok(new) => state
            .store
            .save_priority_index(&Who::of(&user.actor), &new)
            .await
            .map_err(super::indicator_pages::store_message),
        Err(why) => Err(why),
    };
    match saved {
        Ok(index) => Redirect::to(&format!("/atlas/priority?index={}", index.code)).into_response(),
        Err(why) => crate::pages::form_again(form_markup(&state, &user, &draft, Some(&why)).await),
    }
}
