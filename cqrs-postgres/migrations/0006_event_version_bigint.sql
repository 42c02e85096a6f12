-- Event versions are `u32` in Rust; `INTEGER` holds only up to 2^31 - 1, so larger
-- versions were clamped. `BIGINT` holds every `u32`. Rewrites the table once.
ALTER TABLE cqrs_events ALTER COLUMN event_version TYPE BIGINT;
