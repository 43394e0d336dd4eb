-- Biometrics (issue 13 point 6). No image is ever stored. A capture device's template
-- is sealed (XChaCha20-Poly1305) with a key kept outside the database and stored apart
-- from identity: `biometric_templates` has no person column; only an opaque reference
-- id ties it to `biometric_enrolments`, which says whose it is. The matcher (an ABIS)
-- knows the reference id and the template, never the person.
CREATE TABLE biometric_enrolments (
    reference_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    -- face | finger | iris
    modality TEXT NOT NULL,
    format TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    enrolled_by TEXT REFERENCES users(id),
    enrolled_at TEXT NOT NULL,
    -- pending (sent to the matcher) | enrolled | failed | deleted
    state TEXT NOT NULL,
    failure TEXT,
    deleted_at TEXT,
    deleted_reason TEXT
);
CREATE INDEX biometric_enrolments_person ON biometric_enrolments (person_id);

CREATE TABLE biometric_templates (
    reference_id TEXT PRIMARY KEY,
    -- The first 16 hex digits of the key's SHA-256: which key sealed it.
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    sealed TEXT NOT NULL
);

-- The requests to the matcher, asynchronous as MOSIP's ABIS API is: queued, sent
-- (acknowledged, its response awaited), done or failed. An identify waits for the
-- insert of its reference (`after_job`).
CREATE TABLE abis_jobs (
    id TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    reference_id TEXT,
    after_job TEXT,
    state TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    sent_at TEXT,
    done_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    return_value BIGINT,
    failure_reason BIGINT,
    candidates BIGINT,
    error TEXT
);
CREATE INDEX abis_jobs_state ON abis_jobs (state, next_try_at);
