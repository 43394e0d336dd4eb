//! `hamafza bench resolutions`: fills a council with many resolutions and progress
//! updates through the ordinary write path (rules, history, audit), then times what a
//! large council costs: the list query, the dashboard figures, the XLSX export and the
//! PDF report. Prints JSON, so runs can be compared.

use std::time::Instant;

use hamafza_core::access::Scope;
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::resolutions::{CouncilKind, Transition};
use hamafza_core::scorecard::Summary;
use hamafza_store::{NewCouncil, NewEvidence, NewResolution, ResolutionFilter, Store, Who};
use time::Duration;
use uuid::Uuid;

use crate::Failure;
use crate::demo::agency_head;
use crate::rng::Rng;

pub struct Args {
    pub resolutions: usize,
    pub updates: usize,
    pub today: time::Date,
}

/// Builds the `bench-hq` council (the demo's agencies and places must be loaded) and
/// prints the timings.
pub async fn resolutions(store: &Store, args: &Args) -> Result<(), Failure> {
    let who = Who::system();
    let agency = |code: &'static str| async move {
        store
            .agency_by_code(code)
            .await?
            .map(|a| a.id)
            .ok_or_else(|| Failure(format!("no agency {code}: load the demo first")))
    };
    let secretariat = agency("syn-d01-municipality").await?;
    let leads = [
        agency("teh-welfare").await?,
        agency("teh-police").await?,
        agency("teh-education").await?,
        agency("teh-health").await?,
        agency("teh-prosecutor").await?,
    ];
    let district = store
        .place_by_code("SYN-HMF-D01")
        .await?
        .ok_or_else(|| Failure("no synthetic district: load the demo first".into()))?;
    let neighbourhoods: Vec<hamafza_core::ids::PlaceId> = store
        .list_places(
            &Scope::system_job("bench"),
            &hamafza_store::PlaceFilter {
                level: Some(hamafza_core::place::PlaceLevel::Neighbourhood),
                limit: 400,
                ..Default::default()
            },
        )
        .await?
        .0
        .into_iter()
        .map(|p| p.id)
        .collect();
    let council = store
        .create_council(
            &who,
            &NewCouncil {
                code: "bench-hq".into(),
                name_fa: "قرارگاه آزمون بار".into(),
                kind: CouncilKind::SocialHeadquarters,
                place_id: district.id,
                secretariat_agency_id: secretariat,
                focus_limit: 100,
                stall_days: 30,
                members: leads.iter().map(|l| (*l, None)).collect(),
            },
        )
        .await?;
    let user = store
        .user_for_login(crate::demo::ADMIN_USERNAME)
        .await?
        .ok_or_else(|| Failure("no admin user: load the demo first".into()))?
        .0
        .id;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let sec = secretariat.uuid();
    let started = Instant::now();
    let mut open = Vec::new();
    for i in 0..args.resolutions {
        let decided = args.today - Duration::days(30 + rng.below(700) as i64);
        let lead = leads[i % leads.len()];
        let r = store
            .create_resolution(
                &who,
                &NewResolution {
                    council_id: council.id,
                    year: JalaliDate::from_gregorian(decided).year,
                    body: format!("مصوبهٔ آزمون بار شمارهٔ {i}: ساماندهی و پیگیری میدانی در محلهٔ هدف با گزارش ماهانه"),
                    meeting_id: None,
                    agenda_item_id: None,
                    responsible_agency_id: lead,
                    collaborators: vec![],
                    places: vec![neighbourhoods[i % neighbourhoods.len().max(1)]],
                    deadline: Some(iso(decided + Duration::days(30 + rng.below(120) as i64))),
                    priority: 1 + (i % 3) as i64,
                    in_focus: false,
                    topic: "آزمون".into(),
                    expected_result: None,
                    decided_on: Some(decided),
                },
                decided,
            )
            .await?;
        if i % 10 != 0 {
            store
                .move_resolution(
                    &who,
                    &agency_head(sec, Uuid::nil()),
                    r.id,
                    &Transition::Assign,
                    decided + Duration::days(1),
                )
                .await?;
            open.push((r.id, lead.uuid(), decided + Duration::days(2)));
        }
    }
    let created_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for u in 0..args.updates {
        let (id, lead, day) = &open[u % open.len().max(1)];
        let on = (*day + Duration::days((u / open.len().max(1)) as i64 * 7)).min(args.today);
        let evidence = if u % 5 == 0 {
            vec![NewEvidence {
                file_name: format!("گزارش-{u}.txt"),
                media_type: "text/plain".into(),
                content: format!("گزارش میدانی آزمون بار {u}").into_bytes(),
            }]
        } else {
            vec![]
        };
        let percent = (10 + (u / open.len().max(1)) * 10).min(100) as i64;
        store
            .add_resolution_update(
                &who,
                &agency_head(*lead, user.uuid()),
                *id,
                percent,
                "پیشرفت کار طبق برنامه",
                &evidence,
                on,
            )
            .await?;
    }
    let updates_s = started.elapsed().as_secs_f64();
    // Move part of them on: reported done, and some of those verified.
    for (n, (id, lead, day)) in open.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
        let done = (*day + Duration::days(40)).min(args.today);
        if store
            .move_resolution(
                &who,
                &agency_head(*lead, Uuid::nil()),
                *id,
                &Transition::ReportDone { evidence_files: 1 },
                done,
            )
            .await
            .is_ok()
            && n % 2 == 0
        {
            store
                .move_resolution(
                    &who,
                    &agency_head(sec, Uuid::nil()),
                    *id,
                    &Transition::Verify,
                    done + Duration::days(3),
                )
                .await?;
        }
    }

    let filter = ResolutionFilter {
        council_id: Some(council.id),
        ..ResolutionFilter::default()
    };
    let started = Instant::now();
    let every = Scope::system_job("bench resolutions");
    let rows = store.list_resolutions(&every, &filter, args.today).await?;
    let list_s = started.elapsed().as_secs_f64();
    // The dashboard's figures come from the light facts query, not from whole rows.
    let started = Instant::now();
    let facts = store.resolution_facts(&every, &filter).await?;
    let summary = Summary::of(facts.iter().map(|(_, f)| f), args.today);
    let summary_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let sheet = hamafza_store::sheet::export_rows(store, &rows).await?;
    let xlsx = hamafza_report::spreadsheet::write_xlsx(&sheet)?;
    let xlsx_s = started.elapsed().as_secs_f64();
    let year = JalaliDate::from_gregorian(args.today).year;
    let started = Instant::now();
    let report = hamafza_report::gather(
        store,
        &every,
        hamafza_report::Subject::Council(council.clone()),
        Period::Year(year),
        args.today,
    )
    .await?;
    let gather_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let pdf = report.pdf()?;
    let pdf_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "engine": format!("{:?}", store.engine()),
            "council": council.code,
            "resolutions": rows.len(),
            "updates": args.updates,
            "overdue": summary.overdue,
            "stalled": summary.stalled,
            "create_resolutions_s": round(created_s),
            "post_updates_s": round(updates_s),
            "list_query_s": round(list_s),
            "dashboard_figures_s": round(summary_s),
            "xlsx_export_s": round(xlsx_s),
            "xlsx_bytes": xlsx.len(),
            "pdf_gather_s": round(gather_s),
            "pdf_typeset_s": round(pdf_s),
            "pdf_bytes": pdf.len(),
        })
    );
    Ok(())
}

fn round(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

use hamafza_core::jalali::iso_day as iso;

pub struct AtlasArgs {
    pub events: std::path::PathBuf,
    pub limit: Option<usize>,
}

/// `hamafza bench atlas`: stores the peers' events (categories 1..12 taken as the first
/// twelve Hamafza categories) through the ordinary write path — placed, binned and
/// counted live — then times the city's choropleth query and how long one new event
/// takes to show in it. The demo must be loaded (its synthetic city and indicators).
pub async fn atlas(store: &Store, args: &AtlasArgs) -> Result<(), Failure> {
    let who = Who::system();
    let started = Instant::now();
    let mut events = crate::events_csv::read(&args.events, 2)?;
    let n = args.limit.unwrap_or(events.len()).min(events.len());
    events.lon.truncate(n);
    events.lat.truncate(n);
    events.category.truncate(n);
    let read_s = started.elapsed().as_secs_f64();
    let categories: Vec<String> = store
        .event_categories(&Scope::reference_lists())
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let agency = store
        .agency_by_code("teh-police")
        .await?
        .ok_or_else(|| Failure("no agency teh-police: load the demo first".into()))?
        .id;
    let city = store
        .place_by_code("SYN-HMF")
        .await?
        .ok_or_else(|| Failure("no synthetic city: load the demo first".into()))?;
    // The peers' times are spread over 1402–1403; kept as they are.
    let locator = store.place_locator().await?;
    let write_started = Instant::now();
    let t0 = time::OffsetDateTime::from_unix_timestamp(1_679_344_200)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut written = 0usize;
    for start in (0..n).step_by(50_000) {
        let end = (start + 50_000).min(n);
        let batch: Vec<hamafza_store::NewEvent> = (start..end)
            .map(|i| hamafza_store::NewEvent {
                category: categories[(events.category[i] as usize - 1) % categories.len()].clone(),
                occurred_at: t0 + Duration::minutes((i as i64 * 7919) % (731 * 1440)),
                lon: events.lon[i],
                lat: events.lat[i],
                agency_id: agency,
                note: None,
            })
            .collect();
        store.record_events(&who, &locator, &batch).await?;
        written += batch.len();
        if written.is_multiple_of(1_000_000) {
            eprintln!(
                "{written} events stored in {:.0} s",
                write_started.elapsed().as_secs_f64()
            );
        }
    }
    let write_s = write_started.elapsed().as_secs_f64();

    // The city's districts for one indicator and a quarter: the map's query.
    let indicator = store
        .indicator("begging_rate")
        .await?
        .ok_or_else(|| Failure("no indicator begging_rate: load the demo first".into()))?;
    let children: Vec<String> = store
        .children(&Scope::system_job("bench"), Some(city.id))
        .await?
        .into_iter()
        .map(|c| c.place.id.to_string())
        .collect();
    let period = Period::Quarter(1403, 2);
    let mut map_ms = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        store.numerators(&indicator, &children, period).await?;
        map_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    map_ms.sort_by(f64::total_cmp);
    // One event posted, then the map query again: the time until it is visible.
    let before = store.numerators(&indicator, &children, period).await?;
    let centre = locator
        .place(51.39, 35.69)
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let t = Instant::now();
    store
        .record_events(
            &who,
            &locator,
            &[hamafza_store::NewEvent {
                category: "begging".into(),
                // 1403-04-01 is 2024-06-21: inside the quarter the map shows.
                occurred_at: t0 + Duration::days(460),
                lon: 51.39,
                lat: 35.69,
                agency_id: agency,
                note: None,
            }],
        )
        .await?;
    let after = store.numerators(&indicator, &children, period).await?;
    let visible_ms = t.elapsed().as_secs_f64() * 1000.0;
    let changed = before != after;
    let report = serde_json::json!({
        "events_stored": written,
        "read_csv_s": read_s,
        "write_s": write_s,
        "events_per_s": written as f64 / write_s.max(1e-9),
        "map_query_ms": { "p50": map_ms[map_ms.len() / 2], "max": map_ms[map_ms.len() - 1] },
        "post_to_visible_ms": visible_ms,
        "visible_change": changed,
        "probe_place": centre,
    });
    println!("{report:#}");
    Ok(())
}
