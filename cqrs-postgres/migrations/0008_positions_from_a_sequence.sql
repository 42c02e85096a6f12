-- Positions come from a sequence instead of the one-row `cqrs_log_head` counter, so
-- appends no longer wait for each other's commit: concurrent transactions (of one
-- process or of several) write and flush in parallel. Positions still increase in
-- the order appends take them, but a transaction may commit after one that took a
-- later position, and a failed append leaves its positions unused. Readers of the
-- log therefore stop at a fence: a position below which every transaction that may
-- still commit an event has finished (see the crate docs).
CREATE SEQUENCE cqrs_positions AS bigint;
SELECT setval('cqrs_positions', greatest(position, 1), position > 0) FROM cqrs_log_head;

DROP TRIGGER cqrs_notify_append ON cqrs_log_head;
DROP TABLE cqrs_log_head;
DROP FUNCTION cqrs_notify_append();

-- Followers are woken by a NOTIFY the store sends after each group commits, in a
-- statement of its own: a transaction that notifies takes a database-wide lock at
-- commit and holds it through its disk flush, which would make appends commit one
-- at a time again.

-- The filtered page of migration 0005, stopped at the reader's fence.
DROP FUNCTION cqrs_read_named(text[], bigint, bigint);
CREATE FUNCTION cqrs_read_named(names text[], from_position bigint, up_to bigint, max_count bigint)
RETURNS SETOF cqrs_events
LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
    SELECT e.* FROM unnest(names) AS n(name)
    CROSS JOIN LATERAL (
        SELECT * FROM cqrs_events
        WHERE event_name = n.name AND position >= from_position AND position <= up_to
        ORDER BY position LIMIT max_count
    ) AS e
    ORDER BY e.position LIMIT max_count
$$;
