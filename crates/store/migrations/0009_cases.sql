-- Cases of the registry (issue 12 point 3): an agency's work with one person.
CREATE TABLE assessment_questions (
    code TEXT PRIMARY KEY,
    text_fa TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('shelter', 'جای خواب امشب دارد؟', 1);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('health', 'نیاز فوری درمانی دارد؟', 2);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('addiction_treatment', 'خواهان درمان اعتیاد است؟', 3);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('family_contact', 'با خانواده در تماس است؟', 4);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('income', 'منبع درآمدی دارد؟', 5);
INSERT INTO assessment_questions (code, text_fa, position) VALUES ('documents', 'مدرک هویتی همراه دارد؟', 6);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    worker_id TEXT REFERENCES users(id),
    opened_at TEXT NOT NULL,
    -- JSON: {question code: answer}
    assessment TEXT NOT NULL,
    plan TEXT,
    closed_at TEXT,
    closure_reason TEXT,
    closure_note TEXT
);
CREATE INDEX cases_person ON cases (person_id);
CREATE INDEX cases_agency ON cases (agency_id, closed_at);

CREATE TABLE case_entries (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    -- service, note, closed, reopened
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    by_user TEXT REFERENCES users(id),
    -- a service's type, its provider agency, the day given and the outcome
    service TEXT,
    provider_agency_id TEXT REFERENCES agencies(id),
    given_on TEXT,
    outcome TEXT,
    body TEXT
);
CREATE INDEX case_entries_case ON case_entries (case_id, at);
