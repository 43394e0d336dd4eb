-- Following resolutions up: the date a resolution was decided, the in-app inbox, the
-- outbox an SMS or e-mail gateway reads, and the escalation steps already taken.

-- The day the council decided it (the meeting's date, or the date recorded on import).
ALTER TABLE resolutions ADD COLUMN decided_on TEXT;
UPDATE resolutions SET decided_on = substr(created_at, 1, 10) WHERE decided_on IS NULL;
CREATE INDEX resolutions_decided ON resolutions (council_id, decided_on);

-- The latest progress update, kept on the resolution itself (written in the same
-- transaction as the update) so that lists of thousands need no aggregate over updates.
ALTER TABLE resolutions ADD COLUMN latest_update_on TEXT;
ALTER TABLE resolutions ADD COLUMN latest_percent BIGINT;
ALTER TABLE resolutions ADD COLUMN latest_body TEXT;
UPDATE resolutions SET
    latest_update_on = (SELECT u.on_date FROM resolution_updates u WHERE u.resolution_id = resolutions.id ORDER BY u.on_date DESC, u.created_at DESC, u.id DESC LIMIT 1),
    latest_percent = (SELECT u.percent FROM resolution_updates u WHERE u.resolution_id = resolutions.id ORDER BY u.on_date DESC, u.created_at DESC, u.id DESC LIMIT 1),
    latest_body = (SELECT u.body FROM resolution_updates u WHERE u.resolution_id = resolutions.id ORDER BY u.on_date DESC, u.created_at DESC, u.id DESC LIMIT 1);

-- The business day of each state change (the clock's day, which tests and demonstrations
-- move); `at` stays the instant it was written.
ALTER TABLE resolution_history ADD COLUMN on_date TEXT;
UPDATE resolution_history SET on_date = substr(at, 1, 10) WHERE on_date IS NULL;

-- What a user must see: one row per user and event.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    resolution_id TEXT REFERENCES resolutions(id),
    -- assigned, reported_done, sent_back, verified, reminder, head_notice, agenda
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- The same notices for a gateway to deliver; it marks sent_at (or counts attempts).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, created_at);

-- Escalation steps taken for one spell of trouble (overdue or stalled, from began_on).
CREATE TABLE escalations (
    resolution_id TEXT NOT NULL REFERENCES resolutions(id),
    began_on TEXT NOT NULL,
    -- reminder, head_notice, agenda
    step TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    PRIMARY KEY (resolution_id, began_on, step)
);

-- Minutes are written after the meeting; a meeting can also record who attended.
ALTER TABLE meetings ADD COLUMN minutes_updated_at TEXT;
