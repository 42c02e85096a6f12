//! Snapshots, catch-up views and inline documents: the tables beside the log.

use chrono::Utc;
use cqrs_core::inline::StoredDocument;
use cqrs_core::{Snapshot, SnapshotStore, StoreError, StoredView, ViewStore};
use sqlx::{Executor, Sqlite};

use cqrs_core::store::kit::stored_number;

use crate::error::backend;
use crate::read::sql_int;
use crate::store::SqliteEventStore;

/// JSON kept as text, read back; a row that does not parse is corrupt.
fn parse(
    text: &str,
    position: u64,
    what: impl FnOnce() -> String,
) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        position,
        reason: format!("{}: {e}", what()),
    })
}

impl SnapshotStore for SqliteEventStore {
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_snapshots (stream_id, version, state, saved_at, state_version)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (stream_id) DO UPDATE
             SET version = excluded.version, state = excluded.state, saved_at = excluded.saved_at,
                 state_version = excluded.state_version",
        )
        .bind(&snapshot.stream_id)
        .bind(sql_int(snapshot.version, "snapshot version")?)
        .bind(snapshot.state.to_string())
        .bind(Utc::now())
        .bind(i64::from(snapshot.state_version))
        .execute(self.pool())
        .await
        .map_err(|e| {
            backend(
                format!("save the snapshot of stream `{}`", snapshot.stream_id),
                e,
            )
        })?;
        Ok(())
    }

    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT version, state, state_version FROM cqrs_snapshots WHERE stream_id = ?1",
        )
        .bind(stream_id)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| backend(format!("load the snapshot of stream `{stream_id}`"), e))?;
        row.map(|(version, state, state_version)| {
            Ok(Snapshot {
                stream_id: stream_id.to_owned(),
                version: stored_number(version, "version")?,
                state_version: u32::try_from(state_version).unwrap_or(0),
                state: parse(&state, 0, || format!("snapshot of stream `{stream_id}`"))?,
            })
        })
        .transpose()
    }
}

impl ViewStore for SqliteEventStore {
    async fn load_view(&self, name: &str) -> Result<Option<StoredView>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT position, state FROM cqrs_views WHERE name = ?1")
                .bind(name)
                .fetch_optional(self.pool())
                .await
                .map_err(|e| backend(format!("load view `{name}`"), e))?;
        row.map(|(position, state)| {
            let position = stored_number(position, "position")?;
            Ok(StoredView {
                position,
                state: parse(&state, position, || format!("view `{name}`"))?,
            })
        })
        .transpose()
    }

    async fn save_view(&self, name: &str, view: StoredView) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cqrs_views (name, position, state, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE
             SET position = excluded.position, state = excluded.state, updated_at = excluded.updated_at
             WHERE excluded.position >= cqrs_views.position",
        )
        .bind(name)
        .bind(sql_int(view.position, "view position")?)
        .bind(view.state.to_string())
        .bind(Utc::now())
        .execute(self.pool())
        .await
        .map_err(|e| backend(format!("save view `{name}` at position {}", view.position), e))?;
        Ok(())
    }

    async fn delete_view(&self, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM cqrs_views WHERE name = ?1")
            .bind(name)
            .execute(self.pool())
            .await
            .map_err(|e| backend(format!("delete view `{name}`"), e))?;
        Ok(())
    }
}

pub(crate) async fn load_document<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    view: &str,
    key: &str,
) -> Result<Option<StoredDocument>, StoreError> {
    let row: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT version, position, state FROM cqrs_documents WHERE view = ?1 AND key = ?2",
    )
    .bind(view)
    .bind(key)
    .fetch_optional(executor)
    .await
    .map_err(|e| backend(format!("load the `{view}` document of `{key}`"), e))?;
    row.map(|(version, position, state)| {
        let position = stored_number(position, "position")?;
        Ok(StoredDocument {
            version: stored_number(version, "version")?,
            position,
            state: parse(&state, position, || {
                format!("the `{view}` document of `{key}`")
            })?,
        })
    })
    .transpose()
}

pub(crate) async fn save_document<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    view: &str,
    key: &str,
    document: &StoredDocument,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cqrs_documents (view, key, version, position, state) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (view, key) DO UPDATE
         SET version = excluded.version, position = excluded.position, state = excluded.state",
    )
    .bind(view)
    .bind(key)
    .bind(sql_int(document.version, "document version")?)
    .bind(sql_int(document.position, "document position")?)
    .bind(document.state.to_string())
    .execute(executor)
    .await
    .map_err(|e| backend(format!("save the `{view}` document of `{key}`"), e))?;
    Ok(())
}

pub(crate) async fn delete_documents<'e, E: Executor<'e, Database = Sqlite>>(
    executor: E,
    view: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM cqrs_documents WHERE view = ?1")
        .bind(view)
        .execute(executor)
        .await
        .map_err(|e| backend(format!("delete the documents of view `{view}`"), e))?;
    Ok(())
}
