//! What a place page leads to: its rank among its siblings and why, the atlas's views
//! of it, and the councils and open resolutions that concern it — each a link onward.

use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::place::PlaceLevel;
use hamafza_core::resolutions::State as RState;
use hamafza_store::{Place, ResolutionFilter};
use maud::{Markup, html};

use crate::AppState;
use crate::atlas::priority::{self, Ranked};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::layout::num;

/// Open resolutions listed on a place page at most.
const OPEN_SHOWN: usize = 5;

/// The place's rank among its parent's children under the first priority index the
/// caller may run, last year: (rank, of how many, the index's code).
async fn rank_in_parent(
    state: &AppState,
    user: &CurrentUser,
    place: &Place,
    parent: &Place,
) -> Result<Option<(usize, usize, String)>, AppError> {
    let indices = state
        .store
        .priority_indices(&scope(&user.actor, Action::ViewAtlas))
        .await?;
    let Some(index) = indices.first() else {
        return Ok(None);
    };
    let today = JalaliDate::from_gregorian(state.clock.today());
    let period = Period::Year(today.year - 1);
    let run = match priority::rank_children_of(
        state,
        user,
        index,
        parent,
        Ranked::Children,
        (period, None),
        false,
    )
    .await
    {
        Ok(run) => run,
        // An index with an indicator the caller may not see: no rank to show.
        Err(AppError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let id = place.id.to_string();
    let shown = run.0.shown_ranked();
    Ok(run
        .0
        .outcome
        .ranked
        .iter()
        .find(|r| r.id == id)
        .map(|r| (r.rank, shown, index.code.clone())))
}

/// The sections that connect a place page to the rest of Hamafza.
pub async fn sections(
    state: &AppState,
    user: &CurrentUser,
    place: &Place,
    parent: Option<&Place>,
    has_children: bool,
) -> Result<Markup, AppError> {
    let actor = &user.actor;
    let atlas = decide(actor, Action::ViewAtlas, Target::Collection).is_allowed();
    let rank = match (atlas, parent) {
        (true, Some(parent)) => rank_in_parent(state, user, place, parent)
            .await?
            .map(|r| (r, parent)),
        _ => None,
    };
    let today = state.clock.today();
    let (councils, open) =
        if decide(actor, Action::ViewResolutions, Target::Collection).is_allowed() {
            let councils: Vec<_> = state
                .store
                .list_councils(&scope(actor, Action::ViewCouncils))
                .await?
                .into_iter()
                .filter(|c| c.place_id == place.id)
                .collect();
            let open: Vec<_> = state
                .store
                .list_resolutions(
                    &scope(actor, Action::ViewResolutions),
                    &ResolutionFilter {
                        place_id: Some(place.id),
                        ..ResolutionFilter::default()
                    },
                    today,
                )
                .await?
                .into_iter()
                .filter(|r| {
                    matches!(
                        r.resolution.state,
                        RState::Assigned | RState::InProgress | RState::ReportedDone
                    )
                })
                .collect();
            (councils, open)
        } else {
            (Vec::new(), Vec::new())
        };
    let late = open.iter().filter(|r| r.facts().is_overdue(today)).count();
    Ok(html! {
        @if atlas {
            section.connect aria-labelledby="place-atlas" {
                h2 #place-atlas { "در اطلس" }
                @if let Some(((rank, of, index), parent)) = &rank {
                    p { "رتبهٔ " strong { (num(*rank as i64)) } " از " (num(*of as i64)) " در " (parent.name_fa) " (۱ = بحرانی‌ترین) — "
                        a href={ "/atlas/priority?index=" (index) "&place=" (parent.id) "&explain=" (place.id) } { "چرا این رتبه؟" } }
                }
                ul.quick {
                    @if has_children {
                        li { a href={ "/atlas?place=" (place.id) } { "نقشهٔ شاخص‌ها در زیرمجموعه‌های " (place.name_fa) } }
                        li { a href={ "/atlas/priority?place=" (place.id) } { "رتبه‌بندی زیرمجموعه‌ها" } }
                        @if place.level.depth() + 1 < PlaceLevel::Neighbourhood.depth() {
                            li { a href={ "/atlas/priority?place=" (place.id) "&level=" (PlaceLevel::Neighbourhood.code()) } { "رتبه‌بندی همهٔ محله‌های " (place.name_fa) } }
                        }
                    }
                    li { a href={ "/atlas/hotspots?place=" (place.id) } { "کانون‌های داغ رویدادها" } }
                    @if let Some(parent) = parent {
                        li { a href={ "/atlas?place=" (parent.id) } { "نقشهٔ شاخص‌ها در " (parent.name_fa) " (همراه با این مکان)" } }
                    }
                }
            }
        }
        @if !councils.is_empty() || !open.is_empty() {
            section.connect aria-labelledby="place-councils" {
                h2 #place-councils { "شوراها و مصوبات" }
                @if !councils.is_empty() {
                    ul.quick { @for c in &councils { li { a href={ "/councils/" (c.code) } { (c.name_fa) } } } }
                }
                p { (num(open.len() as i64)) " مصوبهٔ باز دربارهٔ " (place.name_fa) " یا زیرمجموعه‌هایش"
                    @if late > 0 { "، " strong { (num(late as i64)) " معوق" } }
                    " — " a href={ "/resolutions?place=" (place.id) } { "همه" } }
                @if !open.is_empty() {
                    ul.quick {
                        @for r in open.iter().take(OPEN_SHOWN) {
                            li { a href={ "/resolutions/" (r.resolution.id) } { "مصوبهٔ " (r.resolution.number.to_persian()) }
                                " — " (r.council_name) " — " (r.resolution.state.name_fa()) }
                        }
                    }
                }
            }
        }
    })
}
