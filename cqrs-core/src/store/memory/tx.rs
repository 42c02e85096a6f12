//! The in-memory store's write transaction: writes are staged beside the log and
//! land together on commit, so a refused append leaves nothing behind.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::State;
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::inline::StoredDocument;
use crate::store::kit::{Clash, ReadTx, Savepoint, WriteTx};
use crate::store::{ListStreams, ReadAll, StoreError, StoredId, StreamSummary};

/// A staged change to inline documents.
enum DocumentWrite {
    Save(String, String, StoredDocument),
    DeleteView(String),
}

/// An append placed in the transaction: where its events go. The events themselves
/// stay with the caller until the commit moves them in (no payload is copied).
struct StagedAppend {
    stream_id: String,
    first_version: u64,
    first_position: u64,
    event_ids: Vec<Uuid>,
    recorded_at: DateTime<Utc>,
}

impl StagedAppend {
    fn last_version(&self) -> u64 {
        self.first_version + self.event_ids.len() as u64 - 1
    }

    fn stored_id(&self, event_id: &Uuid) -> Option<StoredId> {
        let index = self.event_ids.iter().position(|id| id == event_id)? as u64;
        Some(StoredId {
            stream_id: self.stream_id.clone(),
            stream_version: self.first_version + index,
            position: self.first_position + index,
            recorded_at: self.recorded_at,
        })
    }
}

/// Staged writes over the locked state.
pub(super) struct MemoryTx<'a> {
    pub(super) state: &'a mut State,
    appends: Vec<StagedAppend>,
    documents: Vec<DocumentWrite>,
    /// Staged lengths at the savepoint.
    savepoint: (usize, usize),
}

impl<'a> MemoryTx<'a> {
    pub(super) fn new(state: &'a mut State) -> Self {
        MemoryTx {
            state,
            appends: Vec::new(),
            documents: Vec::new(),
            savepoint: (0, 0),
        }
    }

    /// Lands the staged writes, moving in the events of each placed append in order;
    /// returns the new head position.
    pub(super) fn commit(self, events: impl IntoIterator<Item = NewEvent>) -> u64 {
        let state = self.state;
        let mut events = events.into_iter();
        for append in self.appends {
            let stream_id = smol_str::SmolStr::new(&append.stream_id);
            let positions = state.streams.entry(append.stream_id).or_default();
            let placed = append.event_ids.len() as u64;
            positions.extend(append.first_position..append.first_position + placed);
            for (offset, event) in (0..placed).zip(events.by_ref()) {
                let position = append.first_position + offset;
                state.ids.insert(event.event_id, position);
                state.log.push(RecordedEvent {
                    header: EventHeader {
                        stream_id: stream_id.clone(),
                        stream_version: append.first_version + offset,
                        position,
                        event_id: event.event_id,
                        event_name: event.event_name.into(),
                        event_version: event.event_version,
                        recorded_at: append.recorded_at,
                        metadata: event.metadata,
                    },
                    payload: event.payload,
                });
            }
        }
        for write in self.documents {
            match write {
                DocumentWrite::Save(view, key, document) => {
                    state
                        .documents
                        .entry(view)
                        .or_default()
                        .insert(key, document);
                }
                DocumentWrite::DeleteView(view) => {
                    state.documents.remove(&view);
                }
            }
        }
        state.log.len() as u64
    }

    fn staged(&self, event_id: &Uuid) -> Option<StoredId> {
        self.appends.iter().find_map(|a| a.stored_id(event_id))
    }
}

impl ReadTx for MemoryTx<'_> {
    async fn stream_version(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        let staged = self.appends.iter().rev().find(|a| a.stream_id == stream_id);
        Ok(match staged {
            Some(append) => append.last_version(),
            None => self.state.stream_version(stream_id),
        })
    }

    async fn locate(&mut self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        Ok(event_ids
            .iter()
            .map(|id| self.staged(id).or_else(|| self.state.locate(id)))
            .collect())
    }

    async fn read_stream(
        &mut self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.state.read_stream(stream_id, from_version, max_count))
    }

    async fn load_document(
        &mut self,
        view: &str,
        key: &str,
    ) -> Result<Option<StoredDocument>, StoreError> {
        for write in self.documents.iter().rev() {
            match write {
                DocumentWrite::Save(v, k, document) if v == view && k == key => {
                    return Ok(Some(document.clone()));
                }
                DocumentWrite::DeleteView(v) if v == view => return Ok(None),
                _ => {}
            }
        }
        Ok(self.state.document(view, key))
    }

    async fn read_all(&mut self, query: &ReadAll) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.state.read_all(query))
    }

    async fn head_position(&mut self) -> Result<u64, StoreError> {
        Ok(self.state.log.len() as u64)
    }

    async fn list_streams(
        &mut self,
        query: &ListStreams,
    ) -> Result<Vec<StreamSummary>, StoreError> {
        // The committed streams, then what this transaction staged.
        let mut found = self.state.list_streams(&ListStreams {
            limit: usize::MAX,
            ..query.clone()
        });
        for append in self.appends.iter().filter(|a| query.matches(&a.stream_id)) {
            let version = append.last_version();
            match found.binary_search_by(|s| s.stream_id.as_str().cmp(&append.stream_id)) {
                Ok(at) => found[at].version = version,
                Err(at) => found.insert(
                    at,
                    StreamSummary {
                        stream_id: append.stream_id.clone(),
                        version,
                    },
                ),
            }
        }
        found.truncate(query.limit);
        Ok(found)
    }
}

impl WriteTx for MemoryTx<'_> {
    type Reads = Self;

    fn reads(&mut self) -> &mut Self {
        self
    }

    async fn insert(
        &mut self,
        stream_id: &str,
        version: u64,
        events: &[NewEvent],
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Vec<u64>, Clash>, StoreError> {
        let taken = |e: &NewEvent| {
            self.state.ids.contains_key(&e.event_id) || self.staged(&e.event_id).is_some()
        };
        if events.iter().any(taken) {
            return Ok(Err(Clash::EventId));
        }
        let staged: usize = self.appends.iter().map(|a| a.event_ids.len()).sum();
        let first = (self.state.log.len() + staged) as u64 + 1;
        let positions: Vec<u64> = (first..first + events.len() as u64).collect();
        self.appends.push(StagedAppend {
            stream_id: stream_id.to_owned(),
            first_version: version + 1,
            first_position: first,
            event_ids: events.iter().map(|e| e.event_id).collect(),
            recorded_at,
        });
        Ok(Ok(positions))
    }

    async fn save_document(
        &mut self,
        view: &str,
        key: &str,
        document: &StoredDocument,
    ) -> Result<(), StoreError> {
        self.documents.push(DocumentWrite::Save(
            view.to_owned(),
            key.to_owned(),
            document.clone(),
        ));
        Ok(())
    }

    async fn delete_documents(&mut self, view: &str) -> Result<(), StoreError> {
        self.documents
            .push(DocumentWrite::DeleteView(view.to_owned()));
        Ok(())
    }

    async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError> {
        match step {
            Savepoint::Mark => self.savepoint = (self.appends.len(), self.documents.len()),
            Savepoint::RollBack => {
                self.appends.truncate(self.savepoint.0);
                self.documents.truncate(self.savepoint.1);
            }
            Savepoint::Release => {}
        }
        Ok(())
    }
}
