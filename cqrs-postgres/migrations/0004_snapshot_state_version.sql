-- Snapshots record the schema version of the state they hold; a snapshot of an
-- older state shape is ignored and the stream replayed.
ALTER TABLE cqrs_snapshots ADD COLUMN state_version INTEGER NOT NULL DEFAULT 1;
