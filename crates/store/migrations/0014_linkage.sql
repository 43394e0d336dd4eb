-- Identity linkage (issue 13). A link says "this record is the same person as that
-- one": both records stay as they were (names, cases, referrals, encounters stay on
-- the record they were entered on); the link only groups them. Undoing it marks it
-- undone (who, when, why), so the history of every link is kept.
CREATE TABLE person_links (
    id TEXT PRIMARY KEY,
    -- The two records (the smaller id first). A person is every record reached
    -- through live links, so undoing one link takes away exactly that edge.
    person_a TEXT NOT NULL REFERENCES persons(id),
    person_b TEXT NOT NULL REFERENCES persons(id),
    -- registration | review | automatic
    source TEXT NOT NULL,
    probability DOUBLE PRECISION,
    reason TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    linked_by TEXT REFERENCES users(id),
    unlinked_at TEXT,
    unlinked_by TEXT REFERENCES users(id),
    unlink_reason TEXT
);
CREATE UNIQUE INDEX person_links_live ON person_links (person_a, person_b) WHERE unlinked_at IS NULL;
CREATE INDEX person_links_b ON person_links (person_b);

-- Pairs found by linkage for a supervisor to decide. A pair is stored once (the
-- smaller id first); a "different" decision stays, so the pair never comes back.
CREATE TABLE match_pairs (
    id TEXT PRIMARY KEY,
    person_a TEXT NOT NULL REFERENCES persons(id),
    person_b TEXT NOT NULL REFERENCES persons(id),
    -- names (the demographic matcher) | biometric
    source TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    found_at TEXT NOT NULL,
    -- open | same | different | unsure | linked_automatically
    state TEXT NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT,
    reason TEXT,
    UNIQUE (person_a, person_b)
);
CREATE INDEX match_pairs_state ON match_pairs (state, probability);

-- Each whole-registry run: when, by whom, what it found.
CREATE TABLE linkage_runs (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    run_by TEXT REFERENCES users(id),
    records BIGINT NOT NULL,
    candidate_pairs BIGINT NOT NULL,
    queued BIGINT NOT NULL,
    linked BIGINT NOT NULL,
    capped_blocks BIGINT NOT NULL,
    seconds DOUBLE PRECISION NOT NULL
);
