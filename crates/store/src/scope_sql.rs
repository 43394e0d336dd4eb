//! The one place a [`Scope`] becomes SQL. Every list and report query of the store
//! puts one of these conditions in its `WHERE`; a scope a kind of row does not
//! understand lets nothing through (fails closed).
//!
//! Binds are appended to `binds` and referred to as `$n`, as everywhere in the store.

use hamafza_core::access::{Scope, ScopeRule};

use crate::like_escape;

fn bind(binds: &mut Vec<String>, v: String) -> String {
    binds.push(v);
    format!("${}", binds.len())
}

const NOTHING: &str = "1 = 0";
const EVERYTHING: &str = "1 = 1";

/// Places whose materialised path is in `column`: within the jurisdiction or one of its
/// ancestors (which a user needs to find the way down).
pub(crate) fn places(scope: &Scope, column: &str, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::PlacesVisibleFrom(paths) if !paths.is_empty() => {
            let parts: Vec<String> = paths
                .iter()
                .map(|p| {
                    let under = bind(binds, format!("{}%", like_escape(p)));
                    let above = bind(binds, p.clone());
                    format!("({column} LIKE {under} ESCAPE '\\' OR {above} LIKE ({column} || '%'))")
                })
                .collect();
            format!("({})", parts.join(" OR "))
        }
        _ => NOTHING.into(),
    }
}

/// Rows owned by an agency through `column` (users, audit entries by actor agency).
pub(crate) fn owned_by_agency(scope: &Scope, column: &str, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::Agency(a) => format!("{column} = {}", bind(binds, a.to_string())),
        _ => NOTHING.into(),
    }
}

/// Resolutions (alias `r`): "who sees a resolution" of `hamafza_core::access`, in SQL —
/// the responsible and collaborating agencies, and the members of its council (the
/// secretariat is always a member).
pub(crate) fn resolutions(scope: &Scope, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::AgencyResolutions(a) => {
            let p = bind(binds, a.to_string());
            format!(
                "(r.responsible_agency_id = {p}
                  OR EXISTS (SELECT 1 FROM resolution_agencies ra WHERE ra.resolution_id = r.id AND ra.agency_id = {p})
                  OR EXISTS (SELECT 1 FROM council_members cm WHERE cm.council_id = r.council_id AND cm.agency_id = {p}))"
            )
        }
        _ => NOTHING.into(),
    }
}

/// Councils (alias `c`) an agency sits on, or in which it leads or collaborates on a
/// resolution (it then sees the heading, and through [`resolutions`] only its own).
pub(crate) fn councils(scope: &Scope, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::AgencyCouncils(a) => {
            let p = bind(binds, a.to_string());
            format!(
                "(EXISTS (SELECT 1 FROM council_members cm WHERE cm.council_id = c.id AND cm.agency_id = {p})
                  OR EXISTS (SELECT 1 FROM resolutions r WHERE r.council_id = c.id AND (r.responsible_agency_id = {p}
                     OR EXISTS (SELECT 1 FROM resolution_agencies ra WHERE ra.resolution_id = r.id AND ra.agency_id = {p}))))"
            )
        }
        _ => NOTHING.into(),
    }
}

/// Records of a council (meetings, minutes, attendance) whose council id is in
/// `column`: the council's members only (the secretariat is always a member row).
pub(crate) fn council_records(scope: &Scope, column: &str, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::MemberCouncils(a) => {
            let p = bind(binds, a.to_string());
            format!(
                "EXISTS (SELECT 1 FROM council_members cm WHERE cm.council_id = {column} AND cm.agency_id = {p})"
            )
        }
        _ => NOTHING.into(),
    }
}

/// Rows that belong to one resolution whose id is in `column` (its updates, history,
/// collaborations, evidence): there when the resolution itself is in scope.
pub(crate) fn of_resolution(scope: &Scope, column: &str, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::AgencyResolutions(_) => format!(
            "EXISTS (SELECT 1 FROM resolutions r WHERE r.id = {column} AND {})",
            resolutions(scope, binds)
        ),
        _ => NOTHING.into(),
    }
}

/// Reference lists every signed-in user reads (agencies, event categories, priority
/// indices).
pub(crate) fn shared(scope: &Scope) -> &'static str {
    match scope.rule() {
        ScopeRule::Everything | ScopeRule::Shared => EVERYTHING,
        _ => NOTHING,
    }
}

/// Indicators (alias `i`): the public ones, or all for those who see restricted ones.
pub(crate) fn indicators(scope: &Scope) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::PublicIndicators => "i.publication = 'public'".into(),
        _ => NOTHING.into(),
    }
}

/// People (alias `p`): those whose record the agency holds, or who were met or live
/// within the jurisdiction ("locate" of `hamafza_core::access`). Whether each row is
/// then shown in full is decided per row with `ViewPerson`.
pub(crate) fn people(scope: &Scope, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::People {
            agency,
            jurisdiction,
        } => {
            let a = bind(binds, agency.to_string());
            let mut parts = vec![format!(
                "EXISTS (SELECT 1 FROM person_holders ph WHERE ph.person_id = p.id AND ph.agency_id = {a})"
            )];
            for path in jurisdiction {
                let under = bind(binds, format!("{}%", like_escape(path)));
                parts.push(format!(
                    "p.met_path LIKE {under} ESCAPE '\\' OR p.lives_path LIKE {under} ESCAPE '\\'"
                ));
            }
            format!("({})", parts.join(" OR "))
        }
        _ => NOTHING.into(),
    }
}

/// Referrals (alias `r`) the agency sent or received.
pub(crate) fn referrals(scope: &Scope, binds: &mut Vec<String>) -> String {
    match scope.rule() {
        ScopeRule::Everything => EVERYTHING.into(),
        ScopeRule::Agency(a) => {
            let p = bind(binds, a.to_string());
            format!("(r.from_agency = {p} OR r.to_agency = {p})")
        }
        _ => NOTHING.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_scope_of_another_kind_lets_nothing_through() {
        let agency = Scope::agency(Uuid::from_u128(1));
        let mut binds = Vec::new();
        assert_eq!(places(&agency, "path", &mut binds), NOTHING);
        assert_eq!(resolutions(&agency, &mut binds), NOTHING);
        assert_eq!(councils(&agency, &mut binds), NOTHING);
        let places_scope = Scope::places_visible_from(vec!["/a/".into()]);
        assert_eq!(
            owned_by_agency(&places_scope, "agency_id", &mut binds),
            NOTHING
        );
        assert_eq!(resolutions(&Scope::nothing(), &mut binds), NOTHING);
        assert_eq!(
            council_records(&agency, "m.council_id", &mut binds),
            NOTHING
        );
        assert_eq!(
            of_resolution(&agency, "u.resolution_id", &mut binds),
            NOTHING
        );
        assert_eq!(shared(&agency), NOTHING);
        assert!(binds.is_empty());
        assert_eq!(
            resolutions(&Scope::system_job("test"), &mut binds),
            EVERYTHING
        );
    }
}
