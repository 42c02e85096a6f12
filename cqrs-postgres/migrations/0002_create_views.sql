-- Read models kept as one document each, with the position they reflect, written
-- together so a view and its checkpoint never disagree.
CREATE TABLE cqrs_views (
    name       TEXT        PRIMARY KEY,
    position   BIGINT      NOT NULL,
    state      JSONB       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
