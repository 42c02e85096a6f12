-- Inline views: one document per view and stream, written in the append's transaction.
CREATE TABLE cqrs_documents (
    view     TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    PRIMARY KEY (view, key)
) WITHOUT ROWID;
