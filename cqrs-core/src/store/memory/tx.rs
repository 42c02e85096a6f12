//! The in-memory store's write transaction: writes are staged beside the log and
//! land together on commit, so a refused append leaves nothing behind.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::State;
use crate::envelope::{EventHeader, NewEvent, RecordedEvent};
use crate::inline::StoredDocument;
use crate::store::kit::{Clash, ReadTx, Savepoint, WriteTx};
use crate::store::{ReadAll, StoreError, StoredId};

/// A staged change to inline documents.
enum DocumentWrite {
    Save(String, String, StoredDocument),
    DeleteView(String),
}

/// Staged writes over the locked state.
pub(super) struct MemoryTx<'a> {
    pub(super) state: &'a mut State,
    events: Vec<RecordedEvent>,
    documents: Vec<DocumentWrite>,
    /// Staged lengths at the savepoint.
    savepoint: (usize, usize),
}

impl<'a> MemoryTx<'a> {
    pub(super) fn new(state: &'a mut State) -> Self {
        MemoryTx {
            state,
            events: Vec::new(),
            documents: Vec::new(),
            savepoint: (0, 0),
        }
    }

    /// Lands the staged writes; returns the new head position.
    pub(super) fn commit(self) -> u64 {
        let state = self.state;
        for event in self.events {
            let position = event.header.position;
            state.ids.insert(event.header.event_id, position);
            state
                .streams
                .entry(event.header.stream_id.clone())
                .or_default()
                .push(position);
            state.log.push(event);
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

    fn staged(&self, event_id: &Uuid) -> Option<&RecordedEvent> {
        self.events.iter().find(|e| e.header.event_id == *event_id)
    }
}

fn stored_id(header: &EventHeader) -> StoredId {
    StoredId {
        stream_id: header.stream_id.clone(),
        stream_version: header.stream_version,
        position: header.position,
        recorded_at: header.recorded_at,
    }
}

impl ReadTx for MemoryTx<'_> {
    async fn stream_version(&mut self, stream_id: &str) -> Result<u64, StoreError> {
        let staged = self
            .events
            .iter()
            .rev()
            .find(|e| e.header.stream_id == stream_id);
        Ok(match staged {
            Some(event) => event.header.stream_version,
            None => self.state.stream_version(stream_id),
        })
    }

    async fn locate(&mut self, event_ids: &[Uuid]) -> Result<Vec<Option<StoredId>>, StoreError> {
        Ok(event_ids
            .iter()
            .map(|id| match self.staged(id) {
                Some(event) => Some(stored_id(&event.header)),
                None => self.state.locate(id),
            })
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
        let first = (self.state.log.len() + self.events.len()) as u64 + 1;
        let mut positions = Vec::with_capacity(events.len());
        for ((event, position), stream_version) in events.iter().zip(first..).zip(version + 1..) {
            positions.push(position);
            self.events.push(RecordedEvent {
                header: EventHeader {
                    stream_id: stream_id.to_owned(),
                    stream_version,
                    position,
                    event_id: event.event_id,
                    event_name: event.event_name.clone(),
                    event_version: event.event_version,
                    recorded_at,
                    metadata: event.metadata.clone(),
                },
                payload: event.payload.clone(),
            });
        }
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
            Savepoint::Mark => self.savepoint = (self.events.len(), self.documents.len()),
            Savepoint::RollBack => {
                self.events.truncate(self.savepoint.0);
                self.documents.truncate(self.savepoint.1);
            }
            Savepoint::Release => {}
        }
        Ok(())
    }
}
