//! Demo councils: a district social headquarters in the synthetic city, Tehran's provincial
//! social council and two neighbourhood councils, with meetings and resolutions in every
//! state — some overdue, some stalled — played out over the months before `today`, so a
//! new user sees the whole follow-up flow at once.
//!
//! Longer than 600 lines on purpose: most of it is the demo's invented content (councils,
//! members, resolution texts and how each plays out), kept together so it reads as one
//! story.

use hamafza_core::ids::{AgencyId, MeetingId, PlaceId, ResolutionId, UserId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::resolutions::{CouncilKind, Transition};
use hamafza_store::{Council, NewCouncil, NewEvidence, NewResolution, Store, Who};
use time::Duration;
use uuid::Uuid;

type Result<T> = std::result::Result<T, String>;

/// (code, name, kind, place code, secretariat, members, focus limit)
type CouncilSpec = (
    &'static str,
    &'static str,
    CouncilKind,
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
);

const COUNCILS: &[CouncilSpec] = &[
    (
        "syn-d01-hq",
        "قرارگاه اجتماعی منطقهٔ ۱ شهر نمونه",
        CouncilKind::SocialHeadquarters,
        "SYN-HMF-D01",
        "syn-d01-municipality",
        &[
            "teh-prosecutor",
            "teh-police",
            "teh-welfare",
            "teh-education",
            "teh-health",
            "teh-relief",
            "teh-foreign-nationals",
        ],
        6,
    ),
    (
        "teh-social-council",
        "شورای اجتماعی استان تهران",
        CouncilKind::SocialCouncil,
        "IR-23",
        "teh-governorate",
        &[
            "teh-prosecutor",
            "teh-police",
            "teh-welfare",
            "teh-education",
            "teh-health",
            "syn-municipality",
        ],
        10,
    ),
    (
        "syn-d01-n01-council",
        "شورای محلهٔ ۱ (منطقهٔ ۱)",
        CouncilKind::NeighbourhoodCouncil,
        "SYN-HMF-D01-S1-N01",
        "syn-d01-municipality",
        &["teh-welfare", "teh-education"],
        3,
    ),
    (
        "syn-d01-n02-council",
        "شورای محلهٔ ۲ (منطقهٔ ۱)",
        CouncilKind::NeighbourhoodCouncil,
        "SYN-HMF-D01-S1-N02",
        "syn-d01-municipality",
        &["teh-welfare", "teh-health"],
        3,
    ),
];

/// Where a demo resolution ends up.
#[derive(Clone, Copy)]
enum Ending {
    Draft,
    Assigned,
    /// In progress, last update this many days before today.
    InProgress(i64),
    ReportedDone,
    /// Verified; `true` when after its deadline.
    Verified(bool),
    Cancelled,
    /// Merged into the council's first resolution.
    Merged,
    ClosedWithoutResult,
    /// Verified, then reopened.
    Reopened,
}

/// (council code, text, topic, responsible, collaborators, place code, decided days ago,
/// days given, in focus, ending)
type ResolutionSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    i64,
    i64,
    bool,
    Ending,
);

const RESOLUTIONS: &[ResolutionSpec] = &[
    (
        "syn-d01-hq",
        "شناسایی و ساماندهی متکدیان چهارراه‌های اصلی منطقه با همکاری فراجا و ارجاع به مراکز بهزیستی",
        "تکدی‌گری",
        "teh-welfare",
        &["teh-police"],
        "SYN-HMF-D01-S1-N01",
        150,
        60,
        true,
        Ending::Verified(false),
    ),
    (
        "syn-d01-hq",
        "پلمب کارگاه‌های ضایعات فاقد مجوز در محلهٔ ۳ و پیگیری قضایی موارد تکرار",
        "کارگاه‌های ضایعات",
        "teh-prosecutor",
        &["syn-d01-municipality"],
        "SYN-HMF-D01-S1-N03",
        140,
        45,
        true,
        Ending::Verified(true),
    ),
    (
        "syn-d01-hq",
        "تشکیل پروندهٔ حمایتی برای کودکان کار شناسایی‌شده و ثبت‌نام آنان در مدرسه",
        "کودکان کار",
        "teh-welfare",
        &["teh-education"],
        "SYN-HMF-D01-S1-N02",
        100,
        50,
        true,
        Ending::InProgress(45),
    ),
    (
        "syn-d01-hq",
        "ساماندهی پارک خودروهای سنگین در خیابان‌های مسکونی محلهٔ ۵",
        "پارک خودروی سنگین",
        "teh-police",
        &["syn-d01-municipality"],
        "SYN-HMF-D01-S1-N05",
        90,
        30,
        false,
        Ending::InProgress(5),
    ),
    (
        "syn-d01-hq",
        "رفع سد معبر در محور بازارچهٔ محلی و جانمایی بازارچهٔ موقت",
        "سد معبر",
        "syn-d01-municipality",
        &[],
        "SYN-HMF-D01-S1-N04",
        60,
        40,
        true,
        Ending::ReportedDone,
    ),
    (
        "syn-d01-hq",
        "برگزاری کلاس‌های مهارت فرزندپروری برای خانواده‌های در معرض آسیب",
        "آموزش خانواده",
        "teh-education",
        &["teh-welfare"],
        "SYN-HMF-D01-S2-N01",
        40,
        90,
        false,
        Ending::Assigned,
    ),
    (
        "syn-d01-hq",
        "ایجاد پایگاه سلامت سیار برای معتادان متجاهر و ارجاع به درمان",
        "اعتیاد",
        "teh-health",
        &["teh-welfare", "teh-police"],
        "SYN-HMF-D01-S2-N02",
        120,
        60,
        true,
        Ending::InProgress(50),
    ),
    (
        "syn-d01-hq",
        "شناسایی گودهای رهاشده و ساخت‌وسازهای غیرمجاز محل تجمع",
        "ساخت‌وساز غیرمجاز",
        "syn-d01-municipality",
        &["teh-police"],
        "SYN-HMF-D01-S2-N03",
        20,
        30,
        false,
        Ending::Draft,
    ),
    (
        "syn-d01-hq",
        "جلسهٔ مشترک با اتباع برای ساماندهی کارگران فصلی",
        "اتباع",
        "teh-foreign-nationals",
        &[],
        "SYN-HMF-D01-S2-N04",
        110,
        30,
        false,
        Ending::Cancelled,
    ),
    (
        "syn-d01-hq",
        "جمع‌آوری متکدیان محور جنوبی (ادغام در مصوبهٔ نخست)",
        "تکدی‌گری",
        "teh-welfare",
        &[],
        "SYN-HMF-D01-S1-N01",
        145,
        60,
        false,
        Ending::Merged,
    ),
    (
        "syn-d01-hq",
        "راه‌اندازی خط تلفن گزارش مردمی آسیب‌های اجتماعی محله",
        "مشارکت مردمی",
        "syn-d01-municipality",
        &[],
        "SYN-HMF-D01",
        130,
        45,
        false,
        Ending::ClosedWithoutResult,
    ),
    (
        "syn-d01-hq",
        "تأمین روشنایی کوچه‌های ناامن محلهٔ ۶",
        "امنیت محله",
        "syn-d01-municipality",
        &["teh-police"],
        "SYN-HMF-D01-S1-N06",
        125,
        30,
        false,
        Ending::Reopened,
    ),
    (
        "teh-social-council",
        "تدوین شیوه‌نامهٔ استانی ارجاع کودکان کار میان دستگاه‌ها",
        "کودکان کار",
        "teh-welfare",
        &["teh-education", "teh-police"],
        "IR-23",
        160,
        90,
        true,
        Ending::Verified(false),
    ),
    (
        "teh-social-council",
        "تهیهٔ اطلس آسیب‌های اجتماعی شهرهای استان تا پایان سال",
        "اطلس آسیب‌ها",
        "teh-governorate",
        &["teh-police", "teh-welfare"],
        "IR-23",
        80,
        120,
        true,
        Ending::InProgress(10),
    ),
    (
        "teh-social-council",
        "ساماندهی معتادان متجاهر در گرمخانه‌های زمستانی",
        "اعتیاد",
        "teh-welfare",
        &["syn-municipality", "teh-health"],
        "IR-23",
        70,
        30,
        true,
        Ending::InProgress(40),
    ),
    (
        "teh-social-council",
        "گزارش فصلی پیشگیری از وقوع جرم به شورا",
        "پیشگیری از جرم",
        "teh-prosecutor",
        &[],
        "IR-23",
        50,
        30,
        false,
        Ending::ReportedDone,
    ),
    (
        "syn-d01-n01-council",
        "پاک‌سازی زمین بایر محله و تبدیل آن به فضای بازی کودکان",
        "فضای عمومی",
        "syn-d01-municipality",
        &[],
        "SYN-HMF-D01-S1-N01",
        75,
        45,
        true,
        Ending::InProgress(35),
    ),
    (
        "syn-d01-n01-council",
        "شناسایی سالمندان تنها و معرفی به بهزیستی",
        "سالمندان",
        "teh-welfare",
        &[],
        "SYN-HMF-D01-S1-N01",
        30,
        60,
        false,
        Ending::Assigned,
    ),
    (
        "syn-d01-n02-council",
        "کلاس‌های جبرانی رایگان برای دانش‌آموزان بازمانده از تحصیل",
        "بازماندگی از تحصیل",
        "teh-education",
        &[],
        "SYN-HMF-D01-S1-N02",
        95,
        60,
        true,
        Ending::Verified(false),
    ),
    (
        "syn-d01-n02-council",
        "واکسیناسیون و معاینهٔ کودکان اتباع فاقد مدرک",
        "سلامت",
        "teh-health",
        &["teh-welfare"],
        "SYN-HMF-D01-S1-N02",
        45,
        20,
        false,
        Ending::InProgress(8),
    ),
];

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn agency(store: &Store, code: &str) -> Result<AgencyId> {
    Ok(store
        .agency_by_code(code)
        .await
        .map_err(err)?
        .ok_or(format!("no agency {code}"))?
        .id)
}

async fn place(store: &Store, code: &str) -> Result<PlaceId> {
    Ok(store
        .place_by_code(code)
        .await
        .map_err(err)?
        .ok_or(format!("no place {code}"))?
        .id)
}

/// Creates the councils, their meetings and resolutions; returns how many of each.
pub async fn load(store: &Store, today: time::Date) -> Result<(usize, usize, usize)> {
    let who = Who::system();
    let mut councils = Vec::new();
    for (code, name, kind, place_code, secretariat, members, focus) in COUNCILS {
        let mut member_ids = Vec::new();
        for m in *members {
            member_ids.push((agency(store, m).await?, None));
        }
        let council = store
            .create_council(
                &who,
                &NewCouncil {
                    code: (*code).into(),
                    name_fa: (*name).into(),
                    kind: *kind,
                    place_id: place(store, place_code).await?,
                    secretariat_agency_id: agency(store, secretariat).await?,
                    focus_limit: *focus,
                    stall_days: 30,
                    members: member_ids,
                },
            )
            .await
            .map_err(err)?;
        councils.push(council);
    }
    let mut meetings = 0;
    let mut resolutions = 0;
    for council in &councils {
        // A meeting every month for the last half year; each resolution belongs to the
        // meeting held closest before it was decided.
        let mut held: Vec<(time::Date, MeetingId)> = Vec::new();
        for months_ago in (1..=6).rev() {
            let day = today - Duration::days(months_ago * 30 + 5);
            let (id, ..) = store
                .create_meeting(
                    &who,
                    council.id,
                    day,
                    "سالن جلسات دبیرخانه",
                    &["گزارش دبیرخانه".into()],
                    day,
                )
                .await
                .map_err(err)?;
            held.push((day, id));
            meetings += 1;
        }
        let mut first: Option<ResolutionId> = None;
        for spec in RESOLUTIONS.iter().filter(|s| s.0 == council.code) {
            let id = play(store, council, spec, today, &held, first).await?;
            first.get_or_insert(id);
            resolutions += 1;
        }
    }
    Ok((councils.len(), meetings, resolutions))
}

/// Records one resolution and moves it, on the days it would have happened, to its ending.
async fn play(
    store: &Store,
    council: &Council,
    spec: &ResolutionSpec,
    today: time::Date,
    meetings: &[(time::Date, MeetingId)],
    first: Option<ResolutionId>,
) -> Result<ResolutionId> {
    let (_, body, topic, responsible, collaborators, place_code, ago, days_given, in_focus, ending) =
        *spec;
    let who = Who::system();
    let decided = today - Duration::days(ago);
    let meeting = meetings
        .iter()
        .rev()
        .find(|(d, _)| *d <= decided)
        .map(|(_, id)| *id);
    let deadline = decided + Duration::days(days_given);
    let mut collab = Vec::new();
    for c in collaborators {
        collab.push((agency(store, c).await?, None, None));
    }
    let r = store
        .create_resolution(
            &who,
            &NewResolution {
                council_id: council.id,
                year: JalaliDate::from_gregorian(decided).year,
                body: body.into(),
                meeting_id: meeting.filter(|_| ago < 170),
                agenda_item_id: None,
                responsible_agency_id: agency(store, responsible).await?,
                collaborators: collab,
                places: vec![place(store, place_code).await?],
                deadline: Some(iso(deadline)),
                priority: if in_focus { 1 } else { 2 },
                in_focus,
                topic: topic.into(),
                expected_result: None,
                decided_on: Some(decided),
            },
            decided,
        )
        .await
        .map_err(err)?;
    let sec = council.secretariat_agency_id.uuid();
    let lead = r.responsible_agency_id.uuid();
    let mv = |agency: Uuid, t: Transition, day: time::Date| {
        let id = r.id;
        let who = who.clone();
        async move {
            store
                .move_resolution(&who, &agency_head(agency, Uuid::nil()), id, &t, day)
                .await
                .map_err(err)
        }
    };
    let update = |percent: i64, text: &'static str, day: time::Date, evidence: bool| {
        let id = r.id;
        let who = who.clone();
        async move {
            let files = if evidence {
                vec![NewEvidence {
                    file_name: "گزارش-بازدید.txt".into(),
                    media_type: "text/plain".into(),
                    content: format!("گزارش بازدید میدانی (نمونهٔ ساختگی) — {}", iso(day))
                        .into_bytes(),
                }]
            } else {
                Vec::new()
            };
            // Demo updates are posted on behalf of the agency by the system account.
            let user = demo_user(store).await?.uuid();
            store
                .add_resolution_update(
                    &who,
                    &agency_head(lead, user),
                    id,
                    percent,
                    text,
                    &files,
                    day,
                )
                .await
                .map_err(err)
        }
    };
    let assigned = decided + Duration::days(2);
    let cancel_reason = |s: &'static str| s.to_string();
    match ending {
        Ending::Draft => {}
        Ending::Cancelled => {
            mv(sec, Transition::Assign, assigned).await?;
            mv(
                sec,
                Transition::Cancel {
                    reason: cancel_reason("موضوع در شورای استان پیگیری می‌شود"),
                },
                assigned + Duration::days(10),
            )
            .await?;
        }
        Ending::Merged => {
            mv(
                sec,
                Transition::MergeInto {
                    other: first.unwrap_or_default().to_string(),
                },
                assigned,
            )
            .await?;
        }
        _ => {
            mv(sec, Transition::Assign, assigned).await?;
        }
    }
    match ending {
        Ending::InProgress(last) => {
            update(
                20,
                "هماهنگی اولیه با دستگاه‌های همکار انجام شد.",
                assigned + Duration::days(5),
                false,
            )
            .await?;
            let last_day = (today - Duration::days(last)).max(assigned + Duration::days(6));
            update(45, "نیمی از اقدامات انجام شده است.", last_day, false).await?;
        }
        Ending::ReportedDone | Ending::Verified(_) | Ending::Reopened => {
            let done = match ending {
                Ending::Verified(true) => deadline + Duration::days(12),
                _ => (deadline - Duration::days(5)).min(today - Duration::days(3)),
            };
            update(
                50,
                "اقدامات میدانی آغاز شد.",
                assigned + Duration::days(7),
                false,
            )
            .await?;
            update(100, "اقدامات انجام شد؛ گزارش بازدید پیوست است.", done, true).await?;
            mv(lead, Transition::ReportDone { evidence_files: 1 }, done).await?;
            if !matches!(ending, Ending::ReportedDone) {
                mv(sec, Transition::Verify, done + Duration::days(2)).await?;
            }
            if matches!(ending, Ending::Reopened) {
                mv(
                    sec,
                    Transition::Reopen {
                        reason: "شکایت ساکنان از خاموشی دوباره".into(),
                    },
                    (done + Duration::days(20)).min(today),
                )
                .await?;
            }
        }
        Ending::ClosedWithoutResult => {
            update(
                10,
                "اعتبار لازم تأمین نشد.",
                assigned + Duration::days(10),
                false,
            )
            .await?;
            mv(
                sec,
                Transition::CloseWithoutResult {
                    reason: "نبود اعتبار در بودجهٔ امسال".into(),
                },
                assigned + Duration::days(40),
            )
            .await?;
        }
        _ => {}
    }
    Ok(r.id)
}

use hamafza_core::jalali::iso_day as iso;

/// The account demo updates are recorded under (the system administrator).
/// The demo's stand-in for an agency's head: the loader plays every agency's part, and
/// the access policy still decides each move as it would for that agency's head.
pub(crate) fn agency_head(agency: Uuid, user_id: Uuid) -> hamafza_core::access::Actor {
    hamafza_core::access::Actor {
        user_id,
        agency_id: agency,
        roles: vec![hamafza_core::access::Role::AgencyAdmin],
        jurisdiction: Vec::new(),
    }
}

async fn demo_user(store: &Store) -> Result<UserId> {
    Ok(store
        .user_for_login(super::ADMIN_USERNAME)
        .await
        .map_err(err)?
        .ok_or("no admin user")?
        .0
        .id)
}
