-- Councils, meetings and resolutions (مصوبات). Same portable SQL as 0001. Calendar
-- dates are ISO text (YYYY-MM-DD); Jalali appears only at the edges.

CREATE TABLE councils (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    -- social_headquarters, social_council, neighbourhood_council, other
    kind TEXT NOT NULL,
    place_id TEXT NOT NULL REFERENCES places(id),
    secretariat_agency_id TEXT NOT NULL REFERENCES agencies(id),
    -- the most resolutions kept "in focus" at once
    focus_limit BIGINT NOT NULL,
    -- days without an update after which a resolution counts as stalled
    stall_days BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE council_members (
    council_id TEXT NOT NULL REFERENCES councils(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    representative TEXT,
    PRIMARY KEY (council_id, agency_id)
);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    council_id TEXT NOT NULL REFERENCES councils(id),
    number BIGINT NOT NULL,
    held_on TEXT NOT NULL,
    venue TEXT NOT NULL,
    minutes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (council_id, number)
);

CREATE TABLE agenda_items (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    -- set when the item is a follow-up of an existing resolution
    resolution_id TEXT,
    -- 1 when placed automatically (overdue, stalled or awaiting verification)
    automatic BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

CREATE TABLE attendance (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    -- present, represented, absent
    status TEXT NOT NULL,
    representative TEXT,
    PRIMARY KEY (meeting_id, agency_id)
);

CREATE TABLE resolutions (
    id TEXT PRIMARY KEY,
    council_id TEXT NOT NULL REFERENCES councils(id),
    -- people-facing number «year/seq», unique per council and Jalali year
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    meeting_id TEXT REFERENCES meetings(id),
    agenda_item_id TEXT REFERENCES agenda_items(id),
    responsible_agency_id TEXT NOT NULL REFERENCES agencies(id),
    deadline TEXT,
    priority BIGINT NOT NULL DEFAULT 2,
    in_focus BIGINT NOT NULL DEFAULT 0,
    topic TEXT NOT NULL DEFAULT '',
    expected_result TEXT,
    state TEXT NOT NULL,
    state_reason TEXT,
    merged_into TEXT,
    -- the last day anything happened to it (update or state change), for "stalled"
    last_activity_on TEXT NOT NULL,
    assigned_on TEXT,
    verified_on TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (council_id, year, seq)
);
CREATE INDEX resolutions_council ON resolutions (council_id, state);
CREATE INDEX resolutions_responsible ON resolutions (responsible_agency_id, state);

CREATE TABLE resolution_agencies (
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    action TEXT,
    deadline TEXT,
    PRIMARY KEY (resolution_id, agency_id)
);
CREATE INDEX resolution_agencies_agency ON resolution_agencies (agency_id);

CREATE TABLE resolution_places (
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    place_id TEXT NOT NULL REFERENCES places(id),
    PRIMARY KEY (resolution_id, place_id)
);

CREATE TABLE resolution_updates (
    id TEXT PRIMARY KEY,
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    on_date TEXT NOT NULL,
    percent BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX resolution_updates_resolution ON resolution_updates (resolution_id, on_date);

CREATE TABLE evidence_files (
    id TEXT PRIMARY KEY,
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    update_id TEXT REFERENCES resolution_updates(id),
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX evidence_files_resolution ON evidence_files (resolution_id);

-- Every state change, with who and why: the resolution's own history view.
CREATE TABLE resolution_history (
    id TEXT PRIMARY KEY,
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    at TEXT NOT NULL,
    user_id TEXT,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT
);
CREATE INDEX resolution_history_resolution ON resolution_history (resolution_id, at);
