-- Saved priority indices: named, versioned weight sets over indicators, with the
-- method's settings, so a ranking can be repeated and its changes traced.
CREATE TABLE priority_indices (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name_fa TEXT NOT NULL,
    -- siblings | province | country: what each place is standardised against
    reference TEXT NOT NULL,
    -- percentile | zscore
    standardise TEXT NOT NULL,
    min_population BIGINT NOT NULL,
    -- 1: shrink small-population rates toward the parent's (empirical Bayes)
    shrink BIGINT NOT NULL,
    -- JSON array of {"indicator": code, "weight": number}
    items TEXT NOT NULL,
    note_fa TEXT,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (code, version)
);
