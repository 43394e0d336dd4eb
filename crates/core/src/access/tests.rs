use super::*;

fn actor(roles: &[Role], jurisdiction: &[&str]) -> Actor {
    Actor {
        user_id: Uuid::from_u128(1),
        agency_id: Uuid::from_u128(10),
        roles: roles.to_vec(),
        jurisdiction: jurisdiction
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    }
}

fn of_agency(agency: u128, roles: &[Role]) -> Actor {
    Actor {
        agency_id: Uuid::from_u128(agency),
        ..actor(roles, &[])
    }
}

#[test]
fn jurisdiction_covers_descendants_and_shows_ancestors() {
    let a = actor(&[Role::AgencyOfficer], &["/teh/city/d12/"]);
    let see = |p| decide(&a, Action::ViewPlace, Target::Place { path: p });
    assert_eq!(see("/teh/city/d12/n1/"), Decision::Allow);
    assert_eq!(see("/teh/"), Decision::Allow, "ancestor, for navigation");
    assert_eq!(
        see("/teh/city/d13/"),
        Decision::Deny(DenyReason::Jurisdiction)
    );
    assert_eq!(see("/ker/"), Decision::Deny(DenyReason::Jurisdiction));
}

#[test]
fn agency_admin_manages_only_own_agency_within_own_places() {
    let a = actor(&[Role::AgencyAdmin], &["/teh/"]);
    let own = Uuid::from_u128(10);
    let other = Uuid::from_u128(11);
    let j_in = vec!["/teh/x/".to_string()];
    let j_out = vec!["/ker/".to_string()];
    let user = |agency_id, roles: &'static [Role], j: &'static Vec<String>| Target::User {
        agency_id,
        roles,
        jurisdiction: j,
    };
    let j_in: &'static Vec<String> = Box::leak(Box::new(j_in));
    let j_out: &'static Vec<String> = Box::leak(Box::new(j_out));
    let manage = |t| decide(&a, Action::ManageUsers, t);
    assert!(manage(user(own, &[Role::AgencyOfficer], j_in)).is_allowed());
    assert_eq!(
        manage(user(other, &[Role::AgencyOfficer], j_in)),
        Decision::Deny(DenyReason::Agency)
    );
    assert_eq!(
        manage(user(own, &[Role::SystemAdmin], j_in)),
        Decision::Deny(DenyReason::Role)
    );
    assert_eq!(
        manage(user(own, &[Role::Viewer], j_out)),
        Decision::Deny(DenyReason::Jurisdiction)
    );
}

#[test]
fn scope_matches_decide_for_lists() {
    let viewer = actor(&[Role::Viewer], &["/teh/"]);
    assert_eq!(scope(&viewer, Action::ViewUsers).rule(), ScopeRule::Nothing);
    assert_eq!(
        scope(&viewer, Action::ViewPlace).rule(),
        ScopeRule::PlacesVisibleFrom(&["/teh/".to_string()])
    );
    assert_eq!(
        scope(&viewer, Action::ViewResolutions).rule(),
        ScopeRule::AgencyResolutions(viewer.agency_id)
    );
    assert_eq!(
        scope(&viewer, Action::ExportResolutions).rule(),
        ScopeRule::AgencyResolutions(viewer.agency_id),
        "an export is never wider than the list"
    );
    assert_eq!(
        scope(&viewer, Action::ViewCouncilRecords).rule(),
        ScopeRule::MemberCouncils(viewer.agency_id),
        "meetings and minutes: the council's members only, not every party"
    );
    assert_eq!(
        scope(&viewer, Action::ViewEvidence).rule(),
        ScopeRule::AgencyResolutions(viewer.agency_id)
    );
    assert_eq!(
        scope(&viewer, Action::ViewAgencies).rule(),
        ScopeRule::Shared
    );
    let nowhere = actor(&[Role::Analyst], &[]);
    assert_eq!(
        scope(&nowhere, Action::ViewPlace).rule(),
        ScopeRule::Nothing
    );
    assert_eq!(
        scope(&nowhere, Action::ViewEvidence).rule(),
        ScopeRule::Nothing,
        "an analyst's list of evidence files is empty, as decide refuses each"
    );
    let admin = actor(&[Role::SystemAdmin], &[]);
    assert_eq!(
        scope(&admin, Action::ViewAudit).rule(),
        ScopeRule::Everything
    );
    assert!(Scope::system_job("test").is_everything());
    assert_eq!(
        Scope::places_visible_from(vec![]).rule(),
        ScopeRule::Nothing
    );
}

/// The two leaks of December 2026: an agency responsible for one resolution of a council
/// it does not sit on saw the council's meetings, minutes and (through its PDF) every
/// other resolution.
#[test]
fn a_party_to_one_resolution_sees_the_council_heading_but_not_its_records() {
    let (sec, member, outsider_party, stranger) = (1, 2, 3, 4);
    let members = [Uuid::from_u128(member)];
    let facts = |takes_part| CouncilFacts {
        secretariat: Uuid::from_u128(sec),
        members: &members,
        actor_agency_takes_part: takes_part,
    };
    let viewer = |a| of_agency(a, &[Role::Viewer]);
    let party = viewer(outsider_party);
    let part = facts(true);
    assert!(decide(&party, Action::ViewCouncil, Target::Council(&part)).is_allowed());
    assert_eq!(
        decide(&party, Action::ViewCouncilRecords, Target::Council(&part)),
        Decision::Deny(DenyReason::Agency)
    );
    let none = facts(false);
    assert_eq!(
        decide(
            &viewer(stranger),
            Action::ViewCouncil,
            Target::Council(&none)
        ),
        Decision::Deny(DenyReason::Hidden),
        "a stranger is told nothing exists"
    );
    for a in [sec, member] {
        assert!(
            decide(
                &viewer(a),
                Action::ViewCouncilRecords,
                Target::Council(&none)
            )
            .is_allowed()
        );
    }
    // Another resolution of the same council, which the party has no part in.
    let others = [];
    let p = Parties {
        secretariat: Uuid::from_u128(sec),
        responsible: Uuid::from_u128(member),
        collaborators: &others,
        council_members: &members,
    };
    assert_eq!(
        decide(&party, Action::ViewResolution, Target::Resolution(&p)),
        Decision::Deny(DenyReason::Hidden)
    );
    assert!(
        decide(
            &viewer(member),
            Action::ViewResolution,
            Target::Resolution(&p)
        )
        .is_allowed()
    );
    // Running the council is the secretariat's secretaries' and head's.
    let secretary = of_agency(sec, &[Role::CouncilSecretary]);
    assert!(decide(&secretary, Action::RunCouncil, Target::Council(&none)).is_allowed());
    assert_eq!(
        decide(
            &of_agency(member, &[Role::AgencyAdmin]),
            Action::RunCouncil,
            Target::Council(&none)
        ),
        Decision::Deny(DenyReason::Agency)
    );
    assert_eq!(
        decide(
            &of_agency(sec, &[Role::AgencyOfficer]),
            Action::RunCouncil,
            Target::Council(&none)
        ),
        Decision::Deny(DenyReason::Role)
    );
}

#[test]
fn analysts_read_resolutions_but_never_evidence() {
    let members = [Uuid::from_u128(10)];
    let p = Parties {
        secretariat: Uuid::from_u128(1),
        responsible: Uuid::from_u128(2),
        collaborators: &[],
        council_members: &members,
    };
    let analyst = actor(&[Role::Analyst], &[]);
    assert!(analyst.aggregates_only());
    assert!(decide(&analyst, Action::ViewResolution, Target::Resolution(&p)).is_allowed());
    assert_eq!(
        decide(&analyst, Action::ViewEvidence, Target::Resolution(&p)),
        Decision::Deny(DenyReason::Role)
    );
    let viewer = actor(&[Role::Viewer], &[]);
    assert!(decide(&viewer, Action::ViewEvidence, Target::Resolution(&p)).is_allowed());
    assert_eq!(
        decide(&analyst, Action::ReportProgress, Target::Resolution(&p)),
        Decision::Deny(DenyReason::Agency)
    );
}

#[test]
fn progress_is_reported_by_the_doers_officers_and_heads() {
    let collaborators = [Uuid::from_u128(3)];
    let p = Parties {
        secretariat: Uuid::from_u128(1),
        responsible: Uuid::from_u128(2),
        collaborators: &collaborators,
        council_members: &[],
    };
    let report = |a, r: &[Role]| {
        decide(
            &of_agency(a, r),
            Action::ReportProgress,
            Target::Resolution(&p),
        )
    };
    assert!(report(2, &[Role::AgencyOfficer]).is_allowed());
    assert!(report(3, &[Role::AgencyAdmin]).is_allowed());
    assert_eq!(report(2, &[Role::Viewer]), Decision::Deny(DenyReason::Role));
    assert_eq!(
        report(1, &[Role::CouncilSecretary]),
        Decision::Deny(DenyReason::Agency)
    );
    assert_eq!(
        report(9, &[Role::AgencyOfficer]),
        Decision::Deny(DenyReason::Hidden)
    );
    // A secretariat that is also responsible reports as the responsible agency.
    let both = Parties {
        responsible: Uuid::from_u128(1),
        ..p
    };
    assert!(
        decide(
            &of_agency(1, &[Role::AgencyOfficer]),
            Action::ReportProgress,
            Target::Resolution(&both)
        )
        .is_allowed()
    );
}

#[test]
fn roles_decide_who_acts_for_a_party() {
    let officer = actor(&[Role::AgencyOfficer], &[]);
    let secretary = actor(&[Role::CouncilSecretary], &[]);
    let head = actor(&[Role::AgencyAdmin], &[]);
    let viewer = actor(&[Role::Viewer, Role::Analyst], &[]);
    assert!(acts_for(&officer, Party::Responsible) && !acts_for(&officer, Party::Secretariat));
    assert!(acts_for(&secretary, Party::Secretariat) && !acts_for(&secretary, Party::Responsible));
    assert!(acts_for(&head, Party::Secretariat) && acts_for(&head, Party::Collaborator));
    for p in [
        Party::Secretariat,
        Party::Responsible,
        Party::Collaborator,
        Party::Other,
    ] {
        assert!(!acts_for(&viewer, p));
    }
}

#[test]
fn atlas_rules() {
    let analyst = actor(&[Role::Analyst], &[]);
    let officer = actor(&[Role::AgencyOfficer], &[]);
    let head = actor(&[Role::AgencyAdmin], &[]);
    let restricted = Target::Indicator { restricted: true };
    assert!(decide(&analyst, Action::ViewIndicator, restricted).is_allowed());
    assert_eq!(
        scope(&analyst, Action::ViewIndicator).rule(),
        ScopeRule::Everything
    );
    assert_eq!(
        scope(&officer, Action::ViewIndicator).rule(),
        ScopeRule::PublicIndicators,
        "the list matches decide: public ones only"
    );
    assert!(!decide(&officer, Action::ViewIndicator, restricted).is_allowed());
    assert!(
        decide(
            &officer,
            Action::ViewIndicator,
            Target::Indicator { restricted: false }
        )
        .is_allowed()
    );
    assert!(decide(&analyst, Action::DefineIndicators, Target::Collection).is_allowed());
    assert!(!decide(&head, Action::DefineIndicators, Target::Collection).is_allowed());
    assert!(decide(&head, Action::SupplyValues, Target::Collection).is_allowed());
    assert!(decide(&officer, Action::RecordEvents, Target::Collection).is_allowed());
    assert!(!decide(&analyst, Action::RecordEvents, Target::Collection).is_allowed());
    assert!(!decide(&officer, Action::SeeSmallCounts, Target::Collection).is_allowed());
}

#[test]
fn a_person_is_read_by_holders_and_with_consent_by_others_in_the_area() {
    let own = Uuid::from_u128(10);
    let facts = |shared, child, holders: &'static [Uuid]| PersonFacts {
        holders,
        places: &["/teh/city/d12/n1/"],
        shared,
        child,
        actor_agency_protects_children: false,
    };
    let holders: &'static [Uuid] = Box::leak(Box::new([own]));
    let others: &'static [Uuid] = Box::leak(Box::new([Uuid::from_u128(99)]));
    let officer = actor(&[Role::AgencyOfficer], &["/teh/city/d12/"]);
    let view = |a: &Actor, f: &PersonFacts<'_>| decide(a, Action::ViewPerson, Target::Person(f));
    let locate =
        |a: &Actor, f: &PersonFacts<'_>| decide(a, Action::LocatePerson, Target::Person(f));

    // The holding agency reads its record, consent to share or not.
    assert!(view(&officer, &facts(false, false, holders)).is_allowed());
    // Another agency in the area: with consent to share it reads; without, it only
    // learns that the record exists (and whom to call).
    assert!(view(&officer, &facts(true, false, others)).is_allowed());
    assert_eq!(
        view(&officer, &facts(false, false, others)),
        Decision::Deny(DenyReason::Agency)
    );
    assert!(locate(&officer, &facts(false, false, others)).is_allowed());
    // Outside the jurisdiction, not held: not found (404, not 403).
    let elsewhere = actor(&[Role::AgencyOfficer], &["/ker/"]);
    assert_eq!(
        view(&elsewhere, &facts(true, false, others)),
        Decision::Deny(DenyReason::Hidden)
    );
    assert_eq!(
        locate(&elsewhere, &facts(true, false, others)),
        Decision::Deny(DenyReason::Hidden)
    );
    // A child: child protection only; to others, not found — even the holders' officers.
    assert_eq!(
        view(&officer, &facts(true, true, holders)),
        Decision::Deny(DenyReason::Hidden)
    );
    let protector = actor(&[Role::ChildProtection], &["/teh/"]);
    assert!(view(&protector, &facts(true, true, others)).is_allowed());
    let designated = PersonFacts {
        actor_agency_protects_children: true,
        ..facts(true, true, others)
    };
    assert!(view(&officer, &designated).is_allowed());
    // Analysts and viewers never read a person, nor locate one.
    for role in [Role::Analyst, Role::Viewer, Role::CouncilSecretary] {
        let a = actor(&[role], &["/teh/"]);
        assert_eq!(
            view(&a, &facts(true, false, holders)),
            Decision::Deny(DenyReason::Role)
        );
        assert_eq!(scope(&a, Action::ViewPerson).rule(), ScopeRule::Nothing);
        assert!(!decide(&a, Action::RegisterPeople, Target::Collection).is_allowed());
    }
    // System administrators read adults, not children.
    let admin = actor(&[Role::SystemAdmin], &[]);
    assert!(view(&admin, &facts(false, false, others)).is_allowed());
    assert_eq!(
        view(&admin, &facts(false, true, others)),
        Decision::Deny(DenyReason::Hidden)
    );
    // Editing is the holders' alone.
    assert!(
        decide(
            &officer,
            Action::EditPerson,
            Target::Person(&facts(true, false, holders))
        )
        .is_allowed()
    );
    assert_eq!(
        decide(
            &officer,
            Action::EditPerson,
            Target::Person(&facts(true, false, others))
        ),
        Decision::Deny(DenyReason::Agency)
    );
    // The list scope is what LocatePerson lets through.
    assert_eq!(
        scope(&officer, Action::ViewPerson).rule(),
        ScopeRule::People {
            agency: own,
            jurisdiction: &["/teh/city/d12/".to_string()]
        }
    );
    // The access report: system administrators, and the holding agency's head.
    let head = actor(&[Role::AgencyAdmin], &["/teh/"]);
    assert!(
        decide(
            &head,
            Action::ViewPersonAccessReport,
            Target::Person(&facts(false, false, holders))
        )
        .is_allowed()
    );
    assert!(
        !decide(
            &officer,
            Action::ViewPersonAccessReport,
            Target::Person(&facts(false, false, holders))
        )
        .is_allowed()
    );
    assert!(
        decide(
            &admin,
            Action::ViewPersonAccessReport,
            Target::Person(&facts(false, true, others))
        )
        .is_allowed()
    );
}

#[test]
fn registry_reference_data_is_kept_by_administrators_and_secretaries() {
    let admin = actor(&[Role::SystemAdmin], &[]);
    let secretary = actor(&[Role::CouncilSecretary], &["/teh/"]);
    let officer = actor(&[Role::AgencyOfficer], &["/teh/"]);
    let can = |a: &Actor, action| decide(a, action, Target::Collection).is_allowed();
    assert!(can(&admin, Action::ManagePersonCategories));
    assert!(!can(&secretary, Action::ManagePersonCategories));
    assert!(can(&secretary, Action::DesignateChildProtection));
    assert!(can(&admin, Action::DesignateChildProtection));
    assert!(!can(&officer, Action::DesignateChildProtection));
}

#[test]
fn a_case_is_opened_by_who_may_read_the_person_and_worked_by_its_agency() {
    let own = Uuid::from_u128(10);
    let other = Uuid::from_u128(99);
    let holders: &'static [Uuid] = Box::leak(Box::new([other]));
    let shared = PersonFacts {
        holders,
        places: &["/teh/d1/"],
        shared: true,
        child: false,
        actor_agency_protects_children: false,
    };
    let officer = actor(&[Role::AgencyOfficer], &["/teh/d1/"]);
    assert!(decide(&officer, Action::OpenCase, Target::Person(&shared)).is_allowed());
    let private = PersonFacts {
        shared: false,
        ..shared
    };
    assert_eq!(
        decide(&officer, Action::OpenCase, Target::Person(&private)),
        Decision::Deny(DenyReason::Agency)
    );
    assert!(
        decide(
            &officer,
            Action::WorkCase,
            Target::Case {
                agency: own,
                person: &shared
            }
        )
        .is_allowed()
    );
    assert_eq!(
        decide(
            &officer,
            Action::WorkCase,
            Target::Case {
                agency: other,
                person: &shared
            }
        ),
        Decision::Deny(DenyReason::Agency)
    );
    let admin = actor(&[Role::SystemAdmin], &[]);
    assert_eq!(
        decide(&admin, Action::OpenCase, Target::Person(&shared)),
        Decision::Deny(DenyReason::Role),
        "administrators do not do case work"
    );
}

#[test]
fn a_template_is_enrolled_by_the_holding_agency_only() {
    let own = Uuid::from_u128(10);
    let other = Uuid::from_u128(99);
    let held: &'static [Uuid] = Box::leak(Box::new([own]));
    let elsewhere: &'static [Uuid] = Box::leak(Box::new([other]));
    let ours = PersonFacts {
        holders: held,
        places: &["/teh/d1/"],
        shared: true,
        child: false,
        actor_agency_protects_children: false,
    };
    let theirs = PersonFacts {
        holders: elsewhere,
        ..ours
    };
    let child = PersonFacts {
        child: true,
        ..ours
    };
    let officer = actor(&[Role::AgencyOfficer], &["/teh/d1/"]);
    let enrol =
        |a: &Actor, f: &PersonFacts<'_>| decide(a, Action::EnrolBiometric, Target::Person(f));
    let delete =
        |a: &Actor, f: &PersonFacts<'_>| decide(a, Action::DeleteBiometric, Target::Person(f));
    assert!(enrol(&officer, &ours).is_allowed());
    assert_eq!(
        enrol(&officer, &theirs),
        Decision::Deny(DenyReason::Agency),
        "consent to share lets another agency read, not enrol"
    );
    assert_eq!(enrol(&officer, &child), Decision::Deny(DenyReason::Hidden));
    let protector = actor(&[Role::ChildProtection], &["/teh/d1/"]);
    assert!(enrol(&protector, &child).is_allowed());
    let analyst = actor(&[Role::Analyst], &["/teh/d1/"]);
    assert_eq!(enrol(&analyst, &ours), Decision::Deny(DenyReason::Role));
    let admin = actor(&[Role::SystemAdmin], &[]);
    assert_eq!(enrol(&admin, &ours), Decision::Deny(DenyReason::Role));
    assert!(delete(&admin, &theirs).is_allowed());
    assert!(delete(&officer, &ours).is_allowed());
    assert_eq!(
        delete(&officer, &theirs),
        Decision::Deny(DenyReason::Agency)
    );
    let supervisor = actor(&[Role::RegistrySupervisor], &["/teh/d1/"]);
    let abis = |a: &Actor| decide(a, Action::ViewAbis, Target::Collection).is_allowed();
    assert!(abis(&supervisor) && abis(&admin));
    assert!(!abis(&officer) && !abis(&analyst));
}
