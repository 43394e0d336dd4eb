-- The atlas: geolocated events, the indicator dictionary and indicator values.

-- What an event can be. The default list comes from the source documents; agencies add
-- their own (codes are stable, names may change).
CREATE TABLE event_categories (
    code TEXT PRIMARY KEY,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);
INSERT INTO event_categories (code, name_fa, name_en, position) VALUES
    ('begging', 'تکدی‌گری', 'Begging', 1),
    ('visible_addiction', 'اعتیاد آشکار (معتادان متجاهر)', 'Visible addiction', 2),
    ('street_children', 'کودکان کار و خیابان', 'Working and street children', 3),
    ('homelessness', 'کارتن‌خوابی', 'Homelessness', 4),
    ('sidewalk_obstruction', 'سد معبر', 'Sidewalk obstruction', 5),
    ('illegal_construction', 'ساخت‌وساز غیرمجاز', 'Illegal construction', 6),
    ('seal_breaking', 'فک پلمب', 'Seal breaking', 7),
    ('heavy_vehicle_parking', 'توقف خودروهای سنگین', 'Heavy-vehicle parking', 8),
    ('scrap_workshop', 'تخلف کارگاه ضایعاتی', 'Scrap workshop violation', 9),
    ('domestic_violence', 'خشونت خانگی', 'Domestic violence', 10),
    ('street_vending', 'دست‌فروشی', 'Street vending', 11),
    ('dumping', 'تخلیهٔ غیرمجاز نخاله و زباله', 'Illegal dumping', 12);

-- One row per event. `place_id` is the leaf place containing the point, found at write
-- time from the in-memory index; NULL means the point fell in no place (kept, flagged).
-- `month` is the Jalali month in Tehran time (`1403-07`): every Jalali period is a run
-- of months, so counts by month answer months, seasons and years.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL REFERENCES event_categories(code),
    occurred_at TEXT NOT NULL,
    month TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    h3_cell BIGINT,
    place_id TEXT REFERENCES places(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    note TEXT,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX events_place_month ON events (place_id, month);
CREATE INDEX events_month_category ON events (month, category);

-- Live counts: written in the same transaction as the events, for the leaf place and
-- every ancestor, so a map reads a few hundred rows however many events there are.
CREATE TABLE event_counts (
    place_id TEXT NOT NULL REFERENCES places(id),
    category TEXT NOT NULL,
    month TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (place_id, category, month)
);

-- The indicator dictionary. A change of definition is a new version; values and maps
-- always name the version they were computed with.
CREATE TABLE indicators (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    theme TEXT NOT NULL,
    unit_fa TEXT NOT NULL,
    -- higher | lower: which direction is worse
    worse TEXT NOT NULL,
    -- events (a count of events of `categories`) | imported (a value an agency supplies)
    numerator TEXT NOT NULL,
    categories TEXT,
    numerator_fa TEXT NOT NULL,
    -- 1 when the numerator counts people or events (small counts are then suppressed)
    numerator_is_count BIGINT NOT NULL,
    -- none | population | area
    denominator TEXT NOT NULL,
    -- the rate's base: 1 (none), 100 (percent), 1000, 10000 residents, or 1 per km²
    rate_base DOUBLE PRECISION NOT NULL,
    source_agency_id TEXT REFERENCES agencies(id),
    -- public | restricted
    publication TEXT NOT NULL,
    note_fa TEXT,
    created_by TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (code, version)
);

-- Numerators supplied by hand or by file, per place and Jalali period (`1403`,
-- `1403Q2`, `1403-07`).
CREATE TABLE indicator_values (
    indicator_code TEXT NOT NULL,
    place_id TEXT NOT NULL REFERENCES places(id),
    period TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    -- manual | import
    source TEXT NOT NULL,
    entered_by TEXT REFERENCES users(id),
    entered_at TEXT NOT NULL,
    PRIMARY KEY (indicator_code, place_id, period)
);
