-- The event log. Positions come from `cqrs_log_head`, a one-row counter that every
-- append updates: its row lock is held until the append commits, so appends take
-- positions one after another and commit in position order (see the crate docs).
CREATE TABLE cqrs_events (
    position       BIGINT      PRIMARY KEY,
    stream_id      TEXT        NOT NULL,
    stream_version BIGINT      NOT NULL,
    event_id       UUID        NOT NULL UNIQUE,
    event_name     TEXT        NOT NULL,
    event_version  INTEGER     NOT NULL,
    payload        JSONB       NOT NULL,
    metadata       JSONB       NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (stream_id, stream_version)
);

-- Lets a projection read only the event names it handles, in position order.
CREATE INDEX cqrs_events_by_name ON cqrs_events (event_name, position);

-- Each stream's current version: the expected-version check is part of the append.
CREATE TABLE cqrs_streams (
    stream_id TEXT   PRIMARY KEY,
    version   BIGINT NOT NULL
);

-- The last position handed out; one row.
CREATE TABLE cqrs_log_head (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    position BIGINT  NOT NULL
);
INSERT INTO cqrs_log_head (position) VALUES (0);

-- Wakes followers of the log when an append commits (NOTIFY is delivered on commit).
-- The channel is per schema, hashed to stay within PostgreSQL's 63-byte names.
CREATE FUNCTION cqrs_notify_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cqrs_' || left(md5(TG_TABLE_SCHEMA), 24), NEW.position::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER cqrs_notify_append AFTER UPDATE ON cqrs_log_head
    FOR EACH ROW EXECUTE FUNCTION cqrs_notify_append();

CREATE TABLE cqrs_snapshots (
    stream_id TEXT        PRIMARY KEY,
    version   BIGINT      NOT NULL,
    state     JSONB       NOT NULL,
    saved_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE cqrs_checkpoints (
    name       TEXT        PRIMARY KEY,
    position   BIGINT      NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
