-- Running several app servers on one database: a periodic job is run by whichever
-- server holds its lease, so it runs once however many servers there are.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    -- the server holding it (a random id per process)
    holder TEXT NOT NULL,
    -- RFC 3339, UTC: the lease is free for another server after this
    until TEXT NOT NULL
);

-- Failed sign-ins, shared by every server so the throttle counts them all. Only the
-- username typed and the client address; no password, ever.
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_by_name ON login_failures (username, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

-- What in-memory indexes are built from changes now and then (places, event
-- categories); each server compares the version before it uses its copy.
CREATE TABLE data_versions (
    name TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_versions (name, version) VALUES ('places', 1);
INSERT INTO data_versions (name, version) VALUES ('event_categories', 1);
-- accounts: a session ended, a token revoked, an account (de)activated
INSERT INTO data_versions (name, version) VALUES ('accounts', 1);

-- Addresses a username has signed in from: failures elsewhere never hold these back.
CREATE TABLE login_known_addresses (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (username, address)
);
CREATE INDEX login_failures_by_time ON login_failures (at);

-- Checkpoints of other servers' audit chains this server has witnessed: at most one
-- hash per (key, length), so a rewritten history shows as a conflict.
CREATE TABLE witnessed_checkpoints (
    origin_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (origin_key, seq)
);
