//! Metadata recorded beside every event.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who and what caused an event, recorded beside its payload.
///
/// The repository fills `correlation_id` and `causation_id` from the command that
/// produced the event (see [`ExecuteOptions`](crate::ExecuteOptions)); `extra` holds
/// anything an application wants to keep with the event, such as the user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Shared by every event caused, directly or not, by one request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// The id of the command (or event) that directly caused this event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// When the command that produced the event was decided.
    pub timestamp: DateTime<Utc>,
    /// Application-defined values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            correlation_id: None,
            causation_id: None,
            timestamp: Utc::now(),
            extra: BTreeMap::new(),
        }
    }
}

impl Metadata {
    /// Adds an application-defined value.
    ///
    /// ```
    /// let meta = cqrs_core::Metadata::default().with("user", "ada");
    /// assert_eq!(meta.extra["user"], "ada");
    /// ```
    pub fn with(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}
