-- Reads a page of the log filtered by event names, one index range per name.
--
-- A function so that it can carry its own planner setting: on a table whose
-- statistics are missing or stale (right after a bulk import, before autovacuum
-- has analysed it) PostgreSQL guesses that few rows match a name and answers with
-- a bitmap scan that collects and sorts every match after the checkpoint, for every
-- page (60 ms a page at 100,000 events instead of under 1 ms). Without bitmap scans
-- it walks the (event_name, position) index in order and stops at the page size.
CREATE FUNCTION cqrs_read_named(names text[], from_position bigint, max_count bigint)
RETURNS SETOF cqrs_events
LANGUAGE sql STABLE
SET enable_bitmapscan = off
AS $$
    SELECT e.* FROM unnest(names) AS n(name)
    CROSS JOIN LATERAL (
        SELECT * FROM cqrs_events
        WHERE event_name = n.name AND position >= from_position
        ORDER BY position LIMIT max_count
    ) AS e
    ORDER BY e.position LIMIT max_count
$$;
