-- Inline views: one document per view and stream, written in the append's transaction.
CREATE TABLE cqrs_documents (
    view     TEXT   NOT NULL,
    key      TEXT   NOT NULL,
    version  BIGINT NOT NULL,
    position BIGINT NOT NULL,
    state    JSONB  NOT NULL,
    PRIMARY KEY (view, key)
);
