-- The event log. `position` is the global order: AUTOINCREMENT never reuses a value,
-- and SQLite has one writer at a time, so positions are assigned in commit order.
CREATE TABLE cqrs_events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    event_id       TEXT    NOT NULL UNIQUE,
    event_name     TEXT    NOT NULL,
    event_version  INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    UNIQUE (stream_id, stream_version)
);

-- Lets a projection read only the event names it handles, in position order.
CREATE INDEX cqrs_events_by_name ON cqrs_events (event_name, position);

-- Each stream's current version: the expected-version check reads one row.
CREATE TABLE cqrs_streams (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE cqrs_snapshots (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL,
    state     TEXT    NOT NULL,
    saved_at  TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE cqrs_checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at TEXT    NOT NULL
) WITHOUT ROWID;
