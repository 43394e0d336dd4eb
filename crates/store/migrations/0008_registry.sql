-- The registry of vulnerable people (issue 12). Names and identifiers live only in
-- `persons`; encounters without consent carry no link to a person. Every read of a
-- person is an audit entry (`audit_log`), indexed per person in `person_reads`.

CREATE TABLE person_categories (
    code TEXT PRIMARY KEY,
    name_fa TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);
INSERT INTO person_categories (code, name_fa, position) VALUES ('begging', 'تکدی‌گری', 1);
INSERT INTO person_categories (code, name_fa, position) VALUES ('visible_addiction', 'اعتیاد آشکار', 2);
INSERT INTO person_categories (code, name_fa, position) VALUES ('street_child', 'کودک کار و خیابان', 3);
INSERT INTO person_categories (code, name_fa, position) VALUES ('homeless', 'بی‌خانمانی', 4);
INSERT INTO person_categories (code, name_fa, position) VALUES ('scavenging', 'زباله‌گردی', 5);
INSERT INTO person_categories (code, name_fa, position) VALUES ('street_vending', 'دستفروشی', 6);

-- Each identifying field has a data-quality code (`*_q`, HMIS): full, partial,
-- does_not_know, refused, not_collected.
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    given_name TEXT,
    given_name_q TEXT NOT NULL,
    family_name TEXT,
    family_name_q TEXT NOT NULL,
    father_name TEXT,
    father_name_q TEXT NOT NULL,
    -- Persian search key of "given family father" (folded letters, no ZWNJ).
    name_key TEXT NOT NULL,
    sex TEXT,
    sex_q TEXT NOT NULL,
    -- What was said (JSON of hamafza_core::people::BirthSaid) and the Gregorian range.
    birth TEXT,
    birth_q TEXT NOT NULL,
    born_from TEXT,
    born_to TEXT,
    nationality TEXT,
    nationality_q TEXT NOT NULL,
    national_id TEXT,
    -- A residence card (آمایش) or passport number, for foreign nationals.
    foreign_document TEXT,
    identifier_q TEXT NOT NULL,
    mobile TEXT,
    mobile_q TEXT NOT NULL,
    met_place_id TEXT REFERENCES places(id),
    met_path TEXT,
    lives_place_id TEXT REFERENCES places(id),
    lives_path TEXT,
    languages TEXT NOT NULL,
    consent TEXT NOT NULL,
    registered_by_agency TEXT NOT NULL REFERENCES agencies(id),
    registered_by TEXT REFERENCES users(id),
    registered_at TEXT NOT NULL,
    legal_hold BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX persons_national_id ON persons (national_id);
CREATE INDEX persons_foreign_document ON persons (foreign_document);
CREATE INDEX persons_mobile ON persons (mobile);
CREATE INDEX persons_met_path ON persons (met_path);
CREATE INDEX persons_lives_path ON persons (lives_path);
CREATE INDEX persons_registered_at ON persons (registered_at);

CREATE TABLE person_category_links (
    person_id TEXT NOT NULL REFERENCES persons(id),
    category TEXT NOT NULL REFERENCES person_categories(code),
    PRIMARY KEY (person_id, category)
);

-- The agencies that hold a person's record: the one that registered them, and those
-- with a case for them.
CREATE TABLE person_holders (
    person_id TEXT NOT NULL REFERENCES persons(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    since TEXT NOT NULL,
    PRIMARY KEY (person_id, agency_id)
);
CREATE INDEX person_holders_agency ON person_holders (agency_id);

-- Consent as given, dated; the latest is the person's `consent`.
CREATE TABLE person_consents (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    consent TEXT NOT NULL,
    given_at TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    recorded_by TEXT REFERENCES users(id),
    note TEXT
);
CREATE INDEX person_consents_person ON person_consents (person_id, given_at);

-- Every contact. Without consent `person_id` is empty and only what counts is kept:
-- category, place, time, sex, age band.
CREATE TABLE encounters (
    id TEXT PRIMARY KEY,
    person_id TEXT REFERENCES persons(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    category TEXT NOT NULL REFERENCES person_categories(code),
    place_id TEXT REFERENCES places(id),
    place_path TEXT,
    occurred_at TEXT NOT NULL,
    month TEXT NOT NULL,
    sex TEXT,
    age_band TEXT,
    consent TEXT NOT NULL,
    recorded_by TEXT REFERENCES users(id),
    note TEXT
);
CREATE INDEX encounters_person ON encounters (person_id);
CREATE INDEX encounters_place_month ON encounters (place_path, month);

-- "Ask again": a person who could not consent (e.g. intoxicated).
CREATE TABLE consent_followups (
    id TEXT PRIMARY KEY,
    encounter_id TEXT NOT NULL REFERENCES encounters(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    due TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX consent_followups_agency ON consent_followups (agency_id, done_at);

-- Each read of a person: the audit entry's sequence number, for the access report.
CREATE TABLE person_reads (
    person_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (person_id, seq)
);

-- The purpose a signed-in session gave for reading a subject (a person, a case, the
-- list of names): asked once per session and subject.
CREATE TABLE read_purposes (
    session_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    purpose TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (session_key, subject)
);

-- Agencies designated for child protection (by a council secretary).
ALTER TABLE agencies ADD COLUMN protects_children BIGINT NOT NULL DEFAULT 0;

