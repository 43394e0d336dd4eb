//! The store's refusals in Persian. The store says which field broke which rule
//! ([`Rule`]); this module is where that becomes a sentence, for pages, problem+json
//! and the command line alike, so one fault always reads the same.

use hamafza_core::digits::to_persian;
use hamafza_store::{Form, Refusal, Rule, StoreError};
use hamafza_store::{import::ImportProblem, sheet::RowProblem};

/// A field's name as a person calls it. Unknown names are shown as they are: a field
/// the list lacks is a gap to fill here, not a reason to fail.
pub fn field_label(field: &str) -> &str {
    match field {
        "action" => "کار",
        "agency_id" => "دستگاه",
        "agenda" | "agenda_item" => "بند دستور جلسه",
        "attendance" => "حضور",
        "attendance.representative" => "نام نماینده",
        "body" => "متن",
        "categories" | "category" => "دسته",
        "code" => "کد",
        "collaborators" => "دستگاه‌های همکار",
        "database_url" => "نشانی پایگاه داده",
        "deadline" => "مهلت",
        "display_name" => "نام نمایشی",
        "evidence" => "پروندهٔ شاهد",
        "expected_result" => "نتیجهٔ مورد انتظار",
        "focus_limit" => "سقف مصوبات در کانون",
        "geometry" => "مرز",
        "in_focus" => "در کانون توجه",
        "into" => "مصوبهٔ مقصد ادغام",
        "items" => "شاخص‌ها",
        "jurisdiction" => "حوزهٔ جغرافیایی",
        "lat" => "عرض جغرافیایی",
        "lon" => "طول جغرافیایی",
        "meeting_id" => "جلسه",
        "members" => "دستگاه‌های عضو",
        "minutes" => "صورت‌جلسه",
        "name" => "نام",
        "name_en" => "نام انگلیسی",
        "name_fa" => "نام فارسی",
        "number" => "شمارهٔ مصوبه",
        "numerator_fa" => "تعریف صورت شاخص",
        "parent_code" | "parent_id" => "مکان والد",
        "percent" => "درصد پیشرفت",
        "place_id" => "مکان",
        "places" => "مکان‌ها",
        "population" => "جمعیت",
        "priority" => "اولویت",
        "rate_base" => "پایهٔ نرخ",
        "reason" => "دلیل",
        "record_type" => "نوع رکورد",
        "responsible_agency_id" => "دستگاه مسئول",
        "roles" => "نقش",
        "stall_days" => "روزهای رکود",
        "state" => "وضعیت",
        "topic" => "موضوع",
        "username" => "نام کاربری",
        "venue" => "محل جلسه",
        "weight" => "وزن",
        "given_name" => "نام",
        "template" => "الگوی زیست‌سنجی",
        "modality" => "نوع زیست‌سنجی",
        "format" => "قالب الگو",
        "sha256" => "چکیدهٔ SHA-256 الگو",
        "biometric" => "الگوی زیست‌سنجی",
        "family_name" => "نام خانوادگی",
        "father_name" => "نام پدر",
        "sex" => "جنس",
        "birth" => "تاریخ تولد یا سن",
        "nationality" => "ملیت",
        "national_id" => "کد ملی",
        "foreign_document" => "شمارهٔ کارت اقامت یا گذرنامه",
        "mobile" => "شمارهٔ همراه",
        "met_place" => "محل دیدار",
        "lives_place" => "محل زندگی",
        "consent" => "رضایت",
        "purpose" => "هدف از دیدن",
        "languages" => "زبان‌ها",
        "occurred_at" => "زمان",
        "to" => "دستگاه مقصد",
        "override_reason" => "دلیل ارجاع بدون رضایت",
        other => other,
    }
}

fn form_fa(form: Form) -> &'static str {
    match form {
        Form::Code => "۲ تا ۶۴ نویسه از حروف لاتین، رقم، نقطه، خط تیره یا زیرخط",
        Form::SnakeCode => "فقط حروف کوچک لاتین، رقم و _",
        Form::Username => "۳ تا ۶۴ نویسه از حروف کوچک لاتین، رقم، نقطه، خط تیره یا زیرخط",
        Form::Date => "تاریخی به شکل ۱۴۰۴/۰۷/۱۹",
        Form::Time => "تاریخ شمسی با ساعت (۱۴۰۳/۰۷/۱۰ ۱۴:۳۰) یا RFC 3339",
        Form::Period => "سال (۱۴۰۳)، فصل (1403Q2) یا ماه (1403-07)",
        Form::Number => "یک عدد",
        Form::Count => "عدد صحیح نامنفی",
        Form::YesNo => "«بله» یا «خیر»",
        Form::ResolutionNumber => "شماره‌ای به شکل ۱۴۰۴/۱۲",
        Form::DatabaseUrl => "نشانی‌ای که با sqlite: یا postgres:// آغاز شود",
        Form::Longitude => "عددی از −۱۸۰ تا ۱۸۰",
        Form::Latitude => "عددی از −۹۰ تا ۹۰",
        Form::Mobile => "شمارهٔ همراه به شکل ۰۹۱۲۳۴۵۶۷۸۹",
        Form::PersonName => "فقط حرف، فاصله، نیم‌فاصله، خط تیره یا نقطه",
        Form::DocumentNumber => "۳ تا ۳۰ نویسه از حروف لاتین، رقم یا خط تیره",
    }
}

/// A number in Persian digits (values the caller typed are shown as typed).
fn n(x: impl std::fmt::Display) -> String {
    to_persian(&x.to_string())
}

/// What is wrong with `field`, as one Persian sentence.
pub fn explain(field: &str, rule: &Rule) -> String {
    let label = field_label(field);
    let it = if field.is_empty() {
        "مقدار".to_string()
    } else {
        format!("«{label}»")
    };
    match rule {
        Rule::Required => format!("{it} لازم است"),
        Rule::TooLong { max } => format!("{it} حداکثر {} نویسه است", n(max)),
        Rule::Malformed(form) => format!("{it} باید {} باشد", form_fa(*form)),
        Rule::Between { min, max } => format!("{it} باید عددی از {} تا {} باشد", n(min), n(max)),
        Rule::Positive => format!("{it} باید عددی بزرگ‌تر از صفر باشد"),
        Rule::Unknown(v) if v.is_empty() => format!("{it} پیدا نشد"),
        Rule::Unknown(v) => format!("{it}: «{v}» پیدا نشد"),
        Rule::Repeated(v) => format!("{it}: «{v}» دو بار آمده است"),
        Rule::Taken(v) => format!("{it}: «{v}» از پیش ثبت شده است"),
        Rule::Elsewhere => format!("{it} از همین شورا یا جلسه نیست"),
        Rule::ResponsibleAsCollaborator => "دستگاه مسئول نمی‌تواند هم‌زمان همکار باشد".into(),
        Rule::NotAMember => "حضور فقط برای دستگاه‌های عضو شورا ثبت می‌شود".into(),
        Rule::EmptyFile(name) => format!("پروندهٔ «{name}» خالی است"),
        Rule::NotInState(state) => {
            format!("در وضعیت «{}» گزارش پیشرفت پذیرفته نیست", state.name_fa())
        }
        Rule::FocusFull { limit } => format!(
            "این شورا حداکثر {} مصوبه را هم‌زمان در کانون توجه نگه می‌دارد؛ نخست یکی را از کانون خارج کنید",
            n(limit)
        ),
        Rule::FocusFullInFile {
            limit,
            in_file,
            already,
        } => format!(
            "این شورا حداکثر {} مصوبهٔ باز را در کانون توجه نگه می‌دارد؛ پرونده {} مصوبهٔ باز در کانون دارد و {} مصوبه از پیش هست",
            n(limit),
            n(in_file),
            n(already)
        ),
        Rule::NoRows => "پرونده هیچ ردیفی ندارد".into(),
        Rule::Move(e) => e.to_string(),
        Rule::ParentNotAbove(code) => format!("والد «{code}» هم‌سطح یا پایین‌تر از این مکان است"),
        Rule::NoParentFound => {
            "والد پیدا نشد: parent_code نیامده و مرز درون هیچ مکان بالاتری نیست".into()
        }
        Rule::NotExpected => format!("{it} اینجا جایی ندارد"),
        Rule::Geometry(reason) => reason.clone(),
        Rule::MissingColumns(columns) => format!(
            "ستون‌های {} لازم‌اند",
            columns
                .iter()
                .map(|c| format!("«{c}»"))
                .collect::<Vec<_>>()
                .join("، ")
        ),
        Rule::Date(e) => e.to_string(),
        Rule::Item { position, rule } => {
            format!("مورد {}: {}", n(position), explain(field, rule))
        }
        Rule::NationalId(e) => format!("{it}: {e}"),
        Rule::Birth(e) => format!("{it}: {e}"),
        Rule::InFuture => "این زمان هنوز نرسیده است؛ زمان گذشته را بنویسید".into(),
        Rule::Template(e) => format!("{it}: {e}"),
        Rule::WithoutConsent => {
            "رضایت این فرد نگه‌داشتن آن را اجازه نمی‌دهد؛ بدون رضایت چیزی که او را بشناساند نگه داشته نمی‌شود".into()
        }
        Rule::DoesNotTake(c) => {
            format!("این دستگاه ارجاع «{c}» را نمی‌پذیرد؛ دستگاه دیگری را برگزینید")
        }
        Rule::Referral(e) => match e {
            hamafza_core::people::ReferralMoveError::NotFrom(s) => {
                format!("این کار در وضعیت «{}» ممکن نیست", s.name_fa())
            }
            hamafza_core::people::ReferralMoveError::OtherSide => {
                "این کار با دستگاه دیگرِ این ارجاع است".to_string()
            }
            hamafza_core::people::ReferralMoveError::NeedsWords => {
                "برای نپذیرفتن دلیل و برای بستن نتیجه را بنویسید".to_string()
            }
        },
        Rule::ValueWithUnknown(q) => format!(
            "{it} مقدار دارد اما وضعیتش «{}» آمده است؛ یا مقدار را پاک کنید یا وضعیت را «کامل» یا «ناقص» کنید",
            q.name_fa()
        ),
    }
}

/// Why the caller may not do it.
pub fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::Policy(reason) => reason.message_fa().to_string(),
        Refusal::NotAReporter => {
            "فقط دستگاه مسئول و دستگاه‌های همکار گزارش پیشرفت می‌فرستند".to_string()
        }
        Refusal::Move(e) => e.to_string(),
        Refusal::NoConsentToShare => "این فرد رضایت به اشتراک اطلاعاتش نداده است؛ ارجاع بدون رضایت فقط با «مجوز ارجاع بدون رضایت» و با نوشتن دلیل ممکن است".to_string(),
    }
}

/// A value already on record.
pub fn conflict(field: &str, value: &str) -> String {
    match field {
        "link_undone" => return "این پیوند پیش‌تر برداشته شده است؛ دوباره برداشتنی نیست".into(),
        "link_exists" => return "این دو سابقه پیش‌تر به هم پیوند خورده‌اند".into(),
        "pair_decided" => return "دربارهٔ این دو سابقه پیش‌تر تصمیم گرفته شده است".into(),
        "biometric" => {
            return format!(
                "برای این فرد الگوی «{}» پیش‌تر ثبت شده است؛ اگر باید دوباره ثبت شود، نخست الگوی پیشین را حذف کنید",
                hamafza_core::biometrics::Modality::from_code(value).map_or(value, |m| m.name_fa())
            );
        }
        "biometric_deleted" => return "این الگو پیش‌تر حذف شده است".into(),
        _ => {}
    }
    let label = field_label(field);
    if value.is_empty() {
        format!("این «{label}» از پیش ثبت شده است")
    } else {
        format!("«{label}» «{value}» از پیش ثبت شده است")
    }
}

/// A store error as a person should read it (the CLI's face; the web's is
/// [`crate::error::AppError`]).
pub fn store_error(e: &StoreError) -> String {
    match e {
        StoreError::NotFound => "پیدا نشد".into(),
        StoreError::Forbidden(r) => refusal(r),
        StoreError::Conflict { field, value } => conflict(field, value),
        StoreError::Invalid { field, rule } => explain(field, rule),
        StoreError::Db(e) => format!("خطای پایگاه داده: {e}"),
        StoreError::Corrupt(e) => format!("داده‌های ذخیره‌شده خوانا نیست: {e}"),
        StoreError::Io(e) => e.clone(),
    }
}

/// One bad row of an imported table: "row 3, column «مهلت»: …".
pub fn row_problem(p: &RowProblem) -> String {
    let column = p
        .column
        .map(|c| format!("، ستون «{c}»"))
        .unwrap_or_default();
    format!("ردیف {}{column}: {}", n(p.row), explain("", &p.rule))
}

/// One bad feature of a place file.
pub fn import_problem(p: &ImportProblem) -> String {
    explain(p.field, &p.rule)
}

/// Bad rows for problem+json's `errors`: row, column and reason.
pub fn rows_json(rows: &[RowProblem]) -> serde_json::Value {
    rows.iter()
        .map(|p| serde_json::json!({"row": p.row, "column": p.column, "reason": explain("", &p.rule)}))
        .collect()
}

/// Bad features of a place file for problem+json's `errors`.
pub fn import_problems_json(problems: &[ImportProblem]) -> serde_json::Value {
    problems
        .iter()
        .map(|p| {
            serde_json::json!({
                "feature": p.feature,
                "code": p.code,
                "field": p.field,
                "reason": import_problem(p),
            })
        })
        .collect()
}

/// What a read of a person was, as their access report names it.
pub fn read_action(action: &str) -> &'static str {
    match action {
        "person.read" => "دیدن پرونده",
        "persons.list" => "دیدن نام در فهرست",
        "person.access_report" => "دیدن گزارش دسترسی",
        _ => "دیدن",
    }
}

/// A person's access report as a document, from its reads.
pub fn access_report(
    person: &str,
    reads: &[hamafza_store::people::ReadEntry],
    made_for: &str,
    made_on: &str,
) -> hamafza_report::people::AccessReport {
    hamafza_report::people::AccessReport {
        person: person.to_string(),
        made_on: made_on.to_string(),
        made_for: made_for.to_string(),
        reads: reads
            .iter()
            .map(|r| {
                [
                    hamafza_store::parse_instant(&r.at)
                        .map(hamafza_core::jalali::format_instant)
                        .unwrap_or_else(|| r.at.clone()),
                    r.user
                        .clone()
                        .unwrap_or_else(|| "خط فرمان (گرداننده)".into()),
                    r.agency.clone().unwrap_or_default(),
                    read_action(&r.action).to_string(),
                    r.purpose
                        .as_ref()
                        .map(hamafza_core::people::Purpose::text_fa)
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_as_persian_sentences_naming_the_field() {
        assert_eq!(
            explain("priority", &Rule::Between { min: 1, max: 3 }),
            "«اولویت» باید عددی از ۱ تا ۳ باشد"
        );
        assert_eq!(
            explain(
                "category",
                &Rule::Item {
                    position: 4,
                    rule: Box::new(Rule::Unknown("xyz".into()))
                }
            ),
            "مورد ۴: «دسته»: «xyz» پیدا نشد"
        );
        assert_eq!(
            conflict("username", "ali"),
            "«نام کاربری» «ali» از پیش ثبت شده است"
        );
        assert!(explain("username", &Rule::Malformed(Form::Username)).contains("حروف کوچک لاتین"));
    }
}
