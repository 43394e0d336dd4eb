//! What waits on a user's agency among the resolutions, worked out once for the inbox
//! and the home page: reports to verify and drafts to send out (the secretariat's),
//! and resolutions to report on (the responsible agency's), late ones first.

use hamafza_core::access::{Action, acts_for, scope};
use hamafza_core::ids::AgencyId;
use hamafza_core::resolutions::{Party, State as RState};
use hamafza_store::{ResolutionFilter, ResolutionRow};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The resolutions waiting on the caller's agency.
pub struct Waiting {
    /// Reported done in councils the agency runs: to verify.
    pub to_verify: Vec<ResolutionRow>,
    /// Drafts in those councils: to send out.
    pub to_assign: Vec<ResolutionRow>,
    /// Open resolutions the agency leads: to report on, overdue first, then stalled,
    /// then by deadline.
    pub to_report: Vec<ResolutionRow>,
}

pub async fn waiting(
    state: &AppState,
    user: &CurrentUser,
    today: time::Date,
) -> Result<Waiting, AppError> {
    let agency = AgencyId::from(user.actor.agency_id);
    let resolutions = super::resolution_scope(user);
    let mut to_verify = Vec::new();
    let mut to_assign = Vec::new();
    if acts_for(&user.actor, Party::Secretariat) {
        let councils = state
            .store
            .list_councils(&scope(&user.actor, Action::ViewCouncils))
            .await?;
        for c in councils
            .iter()
            .filter(|c| c.secretariat_agency_id == agency)
        {
            let of = |s| ResolutionFilter {
                council_id: Some(c.id),
                state: Some(s),
                ..ResolutionFilter::default()
            };
            to_verify.extend(
                state
                    .store
                    .list_resolutions(&resolutions, &of(RState::ReportedDone), today)
                    .await?,
            );
            to_assign.extend(
                state
                    .store
                    .list_resolutions(&resolutions, &of(RState::Draft), today)
                    .await?,
            );
        }
    }
    let mut to_report: Vec<ResolutionRow> = if acts_for(&user.actor, Party::Responsible) {
        state
            .store
            .list_resolutions(
                &resolutions,
                &ResolutionFilter {
                    agency_id: Some(agency),
                    ..ResolutionFilter::default()
                },
                today,
            )
            .await?
            .into_iter()
            .filter(|r| matches!(r.resolution.state, RState::Assigned | RState::InProgress))
            .collect()
    } else {
        Vec::new()
    };
    to_report.sort_by_key(|r| {
        let f = r.facts();
        (
            !f.is_overdue(today),
            !f.is_stalled(today),
            r.resolution.deadline.clone(),
        )
    });
    Ok(Waiting {
        to_verify,
        to_assign,
        to_report,
    })
}
