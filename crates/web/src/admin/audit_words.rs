//! The audit log in words: every action Hamafza records, each kind of record, and a
//! summary's keys in Persian; a summary read as a list (dates in Jalali, numbers in
//! Persian digits) instead of raw JSON.

use hamafza_core::digits::to_persian;
use maud::{Markup, html};
use std::collections::HashMap;

use serde_json::Value;

/// The action's name, in Persian; an action not listed here is shown as recorded.
pub fn action_label(action: &str) -> String {
    let known = match action {
        "place.create" => "ثبت مکان",
        "agency.create" => "ثبت دستگاه",
        "agency.protects_children" => "تعیین دستگاه حمایت از کودک",
        "agency.referral_categories" => "دسته‌هایی که دستگاه ارجاع می‌پذیرد",
        "user.create" => "ساخت کاربر",
        "user.activate" => "فعال‌سازی کاربر",
        "user.deactivate" => "غیرفعال‌سازی کاربر",
        "session.login" => "ورود",
        "session.logout" => "خروج",
        "session.login_failed" => "ورود ناموفق",
        "token.create" => "ساخت توکن API",
        "token.revoke" => "ابطال توکن API",
        "council.create" => "ثبت شورا",
        "council.settings" => "تغییر تنظیمات شورا",
        "meeting.create" => "ثبت جلسه",
        "meeting.minutes" => "ثبت صورت‌جلسه",
        "resolution.create" => "ثبت مصوبه",
        "resolution.import" => "ورود مصوبات از پرونده",
        "resolution.transition" => "تغییر وضعیت مصوبه",
        "resolution.update" => "گزارش پیشرفت مصوبه",
        "resolution.escalate" => "پیگیری خودکار مصوبهٔ معوق",
        "indicator.save" => "تعریف یا نسخهٔ تازهٔ شاخص",
        "indicator.values" => "ثبت مقدار شاخص",
        "priority_index.save" => "تعریف شاخص اولویت",
        "event_category.save" => "تعریف دستهٔ رویداد",
        "events.record" => "ثبت رویدادهای میدانی",
        "person.register" => "ثبت فرد",
        "person.read" => "دیدن پروندهٔ فرد",
        "persons.list" => "دیدن فهرست افراد",
        "person.edit" => "اصلاح پروندهٔ فرد",
        "person.consent" => "ثبت رضایت",
        "person.consent_withdrawn" => "پس گرفتن رضایت (حذف نام و شناسه‌ها)",
        "person.legal_hold" => "نگه‌داشت قانونی پرونده",
        "person.access_report" => "دیدن گزارش دسترسی",
        "person.biometrics_read" => "دیدن وضعیت زیست‌سنجی فرد",
        "person.match_shown" => "نمایش سوابق همانند هنگام ثبت",
        "person.match_review" => "بررسی جفت سابقه",
        "person.link" => "پیوند دو سابقه",
        "person.unlink" => "برداشتن پیوند سوابق",
        "person_category.save" => "تعریف دستهٔ افراد",
        "consent.asked_again" => "پرسیدن دوبارهٔ رضایت",
        "encounter.record" => "ثبت دیدار دوباره",
        "case.open" => "گشودن پرونده",
        "case.read" => "دیدن پرونده",
        "cases.list" => "دیدن فهرست پرونده‌ها",
        "case.service" => "ثبت خدمت",
        "case.note" => "یادداشت پرونده",
        "case.closed" => "بستن پرونده",
        "case.reopened" => "بازگشایی پرونده",
        "case.attempt" => "جست‌وجوی بی‌نتیجه برای فرد",
        "referral.propose" => "ارجاع به دستگاه دیگر",
        "referral.propose_without_consent" => "ارجاع بدون رضایت (با مجوز)",
        "referral.accepted" => "پذیرش ارجاع",
        "referral.declined" => "نپذیرفتن ارجاع",
        "referral.service_given" => "خدمت ارجاع داده شد",
        "referral.closed" => "بستن ارجاع",
        "referral.withdrawn" => "پس گرفتن ارجاع",
        "referral.escalate" => "پیگیری خودکار ارجاع بی‌پاسخ",
        "retention.run" => "اجرای قاعدهٔ نگه‌داری",
        "linkage.run" => "بررسی همهٔ سوابق برای تکرار",
        "match.decide" => "تصمیم دربارهٔ جفت سابقه",
        "biometric.enrol" => "ثبت الگوی زیست‌سنجی",
        "biometric.identify" => "جست‌وجوی زیست‌سنجی یک به چند",
        "biometric.delete" => "حذف الگوی زیست‌سنجی",
        "abis.job_failed" => "ناکامی درخواست به سامانهٔ تطبیق",
        _ => "",
    };
    if known.is_empty() {
        action.to_string()
    } else {
        known.to_string()
    }
}

/// The kind of record, in Persian.
pub fn record_label(record_type: &str) -> &str {
    match record_type {
        "place" => "مکان",
        "agency" => "دستگاه",
        "user" => "کاربر",
        "api_token" => "توکن",
        "council" => "شورا",
        "meeting" => "جلسه",
        "resolution" => "مصوبه",
        "indicator" => "شاخص",
        "priority_index" => "شاخص اولویت",
        "event_category" => "دستهٔ رویداد",
        "event" | "events" => "رویداد",
        "person" => "فرد",
        "case" => "پرونده",
        "referral" => "ارجاع",
        "person_link" => "پیوند سوابق",
        "match_pair" => "جفت سابقه",
        "linkage_run" => "بررسی تکرار",
        "abis_job" => "درخواست تطبیق زیست‌سنجی",
        "person_category" => "دستهٔ افراد",
        other => other,
    }
}

/// A summary key's name, in Persian; an unknown key as recorded.
fn key_label(key: &str) -> &str {
    match key {
        "from" => "از",
        "to" => "به",
        "state" => "وضعیت",
        "reason" => "دلیل",
        "note" => "یادداشت",
        "percent" => "درصد پیشرفت",
        "evidence" => "شاهد",
        "count" => "شمار",
        "code" => "کد",
        "name_fa" => "نام",
        "level" => "سطح",
        "username" => "نام کاربری",
        "roles" => "نقش‌ها",
        "consent" => "رضایت",
        "purpose" => "هدف",
        "decision" => "تصمیم",
        "source" => "منبع",
        "probability" => "احتمال",
        "records" => "سوابق",
        "queued" => "در صف بررسی",
        "linked" => "پیوند خورده",
        "candidates" => "نامزدها",
        "modality" => "نوع زیست‌سنجی",
        "reference" => "شناسهٔ مرجع",
        "deadline" => "مهلت",
        "before" => "پیش از",
        "after" => "پس از",
        "agency_id" => "دستگاه",
        "place_id" => "مکان",
        "user_id" => "کاربر",
        "active" => "فعال",
        "jurisdiction" => "حوزه",
        "display_name" => "نام نمایشی",
        "pseudonymised" => "بی‌نام‌شده",
        "on_hold" => "در نگه‌داشت قانونی",
        "version" => "نسخه",
        "number" => "شماره",
        "step" => "مرحله",
        "fields" => "فیلدها",
        "bytes" => "اندازه (بایت)",
        "format" => "قالب",
        "error" => "خطا",
        "operation" => "عملیات",
        _ => key,
    }
}

/// A value as a person reads it: ids of known records by their names, days and
/// instants in Jalali, numbers in Persian digits, lists joined; a nested object (a
/// before/after) as a list of its own.
fn value_markup(v: &Value, names: &HashMap<String, String>) -> Markup {
    match v {
        Value::Null => html! { "—" },
        Value::Bool(true) => html! { "بله" },
        Value::Bool(false) => html! { "خیر" },
        Value::Number(n) => html! { (to_persian(&n.to_string())) },
        Value::String(s) => {
            if let Some(name) = names.get(s) {
                html! { (name) }
            } else if let Some(day) = hamafza_core::jalali::parse_iso_day(s) {
                html! { (hamafza_core::jalali::JalaliDate::from_gregorian(day).format_long()) }
            } else if let Some(at) = hamafza_store::parse_instant(s) {
                html! { (hamafza_core::jalali::format_instant(at)) }
            } else {
                html! { bdi { (s) } }
            }
        }
        Value::Array(items) => html! {
            @for (i, item) in items.iter().enumerate() {
                @if i > 0 { "، " }
                (value_markup(item, names))
            }
        },
        Value::Object(map) => list(map, names),
    }
}

fn list(map: &serde_json::Map<String, Value>, names: &HashMap<String, String>) -> Markup {
    html! {
        ul.summary {
            @for (k, v) in map {
                li { span.key { (key_label(k)) ": " }
                    @match state_name(k, v) {
                        Some(state) => (state),
                        None => (value_markup(v, names)),
                    }
                }
            }
        }
    }
}

/// A resolution's state named in a transition (`from`, `to`, `state`), in Persian.
fn state_name(key: &str, v: &Value) -> Option<&'static str> {
    if !matches!(key, "from" | "to" | "state") {
        return None;
    }
    hamafza_core::resolutions::State::from_code(v.as_str()?)
        .map(hamafza_core::resolutions::State::name_fa)
}

/// A summary as a short list of «key: value» (a before/after as two lists), ids named
/// from `names`; text that is not a JSON object as it is.
pub fn summary(text: &str, names: &HashMap<String, String>) -> Markup {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) if map.is_empty() => html! {},
        Ok(Value::Object(map)) => list(&map, names),
        _ => html! { bdi { (text) } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_in_persian() {
        let names = HashMap::from([("a-1".to_string(), "بهزیستی".to_string())]);
        let m = summary(
            r#"{"from":"draft","to":"assigned","deadline":"2025-10-11","percent":40,"after":{"agency_id":"a-1"}}"#,
            &names,
        )
        .into_string();
        assert!(m.contains("پس از: </span><ul"), "{m}");
        assert!(!m.contains("draft"), "states in words: {m}");
        assert!(m.contains("دستگاه: </span>بهزیستی"), "{m}");
        assert!(m.contains("از: "), "{m}");
        assert!(m.contains("۱۹ مهر ۱۴۰۴"), "{m}");
        assert!(m.contains("۴۰"), "{m}");
        assert!(!m.contains("2025-10-11"), "{m}");
        assert_eq!(
            action_label("resolution.escalate"),
            "پیگیری خودکار مصوبهٔ معوق"
        );
        assert_eq!(action_label("something.new"), "something.new");
    }
}
