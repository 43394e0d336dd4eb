-- Referrals between agencies (issue 12 point 4).
CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    from_agency TEXT NOT NULL REFERENCES agencies(id),
    to_agency TEXT NOT NULL REFERENCES agencies(id),
    category TEXT NOT NULL REFERENCES person_categories(code),
    note TEXT,
    -- The receiving agency takes the person over on acceptance.
    transfer BIGINT NOT NULL,
    state TEXT NOT NULL,
    -- The day the answer is due (ISO).
    due TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    -- Why the person was referred without consent to share (the override), if so.
    override_reason TEXT,
    decline_reason TEXT,
    outcome TEXT
);
CREATE INDEX referrals_to ON referrals (to_agency, state);
CREATE INDEX referrals_from ON referrals (from_agency, state);
CREATE INDEX referrals_person ON referrals (person_id);

CREATE TABLE referral_history (
    referral_id TEXT NOT NULL REFERENCES referrals(id),
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    by_user TEXT REFERENCES users(id),
    words TEXT,
    PRIMARY KEY (referral_id, seq)
);

-- The categories an agency takes referrals for; an agency with none listed takes all.
CREATE TABLE agency_referral_categories (
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    category TEXT NOT NULL REFERENCES person_categories(code),
    PRIMARY KEY (agency_id, category)
);
