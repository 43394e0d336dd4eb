-- Hamafza foundation schema. Written once for both engines: only types and syntax that
-- SQLite and PostgreSQL read the same way (TEXT, BIGINT, DOUBLE PRECISION, and BYTEA,
-- which SQLite stores as a blob). Ids are UUIDv7 text, instants RFC 3339 UTC text,
-- flags 0/1.

CREATE TABLE places (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    depth BIGINT NOT NULL,
    parent_id TEXT REFERENCES places(id),
    -- ancestors' ids and its own as /a/b/c/: "under X" is a prefix test
    path TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    name_en TEXT,
    -- Persian-aware search key of name_fa and name_en (hamafza_core::text::search_key)
    name_key TEXT NOT NULL,
    -- ICU4X Persian sort key of name_fa (hamafza_core::text::sort_key_fa): ORDER BY gives Persian order
    name_sort BYTEA NOT NULL,
    population BIGINT,
    area_km2 DOUBLE PRECISION,
    geometry TEXT,
    osm_id TEXT,
    wikidata TEXT,
    synthetic BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX places_parent ON places (parent_id);
CREATE INDEX places_level ON places (level, name_sort);
CREATE INDEX places_parent_sort ON places (parent_id, name_sort);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    kind TEXT NOT NULL,
    place_id TEXT REFERENCES places(id),
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE user_jurisdiction (
    user_id TEXT NOT NULL REFERENCES users(id),
    place_id TEXT NOT NULL REFERENCES places(id),
    PRIMARY KEY (user_id, place_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_user_id TEXT,
    actor_agency_id TEXT,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_agency ON audit_log (actor_agency_id);
CREATE INDEX audit_action ON audit_log (action);

-- The last entry's number and hash, so removing entries from the end is caught too.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
