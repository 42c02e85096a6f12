//! How one command is executed: expected version, command id, metadata, retries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::envelope::EventHeader;
use crate::metadata::Metadata;

/// How to execute one command.
///
/// ```
/// use cqrs_core::{ExecuteOptions, Metadata, Uuid};
///
/// // An idempotent command from a client that retries: the same id appends once.
/// let request_id = Uuid::new_v4();
/// let options = ExecuteOptions::default()
///     .command_id(request_id)
///     .metadata(Metadata::default().with("user", "ada"));
/// assert_eq!(options.command_id, Some(request_id));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ExecuteOptions {
    /// Refuse the command unless the aggregate is at this version: the client's
    /// `If-Match`. When set, a conflict is returned, never retried.
    pub expected_version: Option<u64>,
    /// Correlation id, causation id, timestamp and application values for the new
    /// events. The causation id defaults to the command's id; the correlation id to
    /// the causation id.
    pub metadata: Metadata,
    /// The command's id. Given, it makes the command idempotent: executing the same
    /// id again appends nothing and returns the events the first execution committed.
    /// Not given, a new id is made for each execution.
    pub command_id: Option<Uuid>,
}

impl ExecuteOptions {
    /// Options that require the aggregate to be at `version`.
    pub fn expect_version(version: u64) -> Self {
        ExecuteOptions {
            expected_version: Some(version),
            ..Self::default()
        }
    }

    /// Makes the command idempotent under this id (see [`command_id`](Self::command_id)).
    pub fn command_id(mut self, id: Uuid) -> Self {
        self.command_id = Some(id);
        self
    }

    /// Replaces the metadata for the new events.
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Options for a command issued in reaction to a stored event, by a projection or
    /// a process manager named `reactor`.
    ///
    /// The new events carry the event's correlation id (or its id, when it has none)
    /// and its application values; their causation id is the event's id. The
    /// command's id is derived from the event's id and `reactor`, so handling the
    /// same event twice (a restart after a crash) appends the reaction once.
    ///
    /// ```
    /// # use cqrs_core::doc_example::*;
    /// use cqrs_core::{ExecuteOptions, InMemoryEventStore, Metadata, Repository, Uuid};
    ///
    /// # pollster::block_on(async {
    /// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new());
    /// let request = Uuid::new_v4();
    /// let options = ExecuteOptions::default()
    ///     .metadata(Metadata { correlation_id: Some(request), ..Metadata::default() }.with("user", "ada"));
    /// let added = carts.execute_with("1", CartCommand::AddItem { sku: "apple".into(), quantity: 1 }, options).await?;
    ///
    /// // A reaction in another cart, caused by the first event.
    /// let reaction = ExecuteOptions::caused_by(&added[0].header, "gift-wrapper");
    /// let gift = CartCommand::AddItem { sku: "ribbon".into(), quantity: 1 };
    /// let first = carts.execute_with("2", gift.clone(), reaction.clone()).await?;
    /// let again = carts.execute_with("2", gift, reaction).await?;
    /// assert_eq!(first, again); // handled twice, appended once
    ///
    /// let meta = &first[0].header.metadata;
    /// assert_eq!(meta.correlation_id, Some(request));
    /// assert_eq!(meta.causation_id, Some(added[0].header.event_id));
    /// assert_eq!(meta.extra["user"], "ada");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn caused_by(event: &EventHeader, reactor: &str) -> Self {
        let cause = &event.metadata;
        ExecuteOptions {
            expected_version: None,
            metadata: Metadata {
                correlation_id: Some(cause.correlation_id.unwrap_or(event.event_id)),
                causation_id: Some(event.event_id),
                timestamp: Utc::now(),
                extra: cause.extra.clone(),
            },
            command_id: Some(Uuid::new_v5(&event.event_id, reactor.as_bytes())),
        }
    }

    /// Like [`caused_by`](Self::caused_by), for the `step`-th of several commands a
    /// reactor sends for one event: each step gets a command id of its own (derived
    /// from the event's id, `reactor` and `step`; step 0 is `caused_by`'s id), so every
    /// command is appended once and a redelivery appends none of them again.
    ///
    /// ```
    /// # use cqrs_core::doc_example::*;
    /// use cqrs_core::{ExecuteOptions, InMemoryEventStore, Repository};
    ///
    /// # pollster::block_on(async {
    /// let carts = Repository::<Cart, _>::new(InMemoryEventStore::new());
    /// let added = carts.execute("1", CartCommand::AddItem { sku: "apple".into(), quantity: 1 }).await?;
    /// let cause = &added[0].header;
    /// for _delivery in 0..2 {
    ///     for (step, sku) in ["ribbon", "card"].into_iter().enumerate() {
    ///         let options = ExecuteOptions::caused_by_step(cause, "gift-wrapper", step as u32);
    ///         let gift = CartCommand::AddItem { sku: sku.into(), quantity: 1 };
    ///         carts.execute_with("2", gift, options).await?;
    ///     }
    /// }
    /// assert_eq!(carts.load("2").await?.version, 2); // two commands, each appended once
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn caused_by_step(event: &EventHeader, reactor: &str, step: u32) -> Self {
        let mut options = Self::caused_by(event, reactor);
        if step > 0 {
            let name = format!("{reactor}#{step}");
            options.command_id = Some(Uuid::new_v5(&event.event_id, name.as_bytes()));
        }
        options
    }
}

/// Which past state to load (see [`Repository::load_as_of`](crate::Repository::load_as_of)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the events up to this stream version (fewer if the stream is shorter).
    Version(u64),
    /// After the events the store recorded at or before this time.
    Time(DateTime<Utc>),
}

/// Re-deciding a command whose append lost a race with another process (see
/// [`Repository::retry_conflicts`](crate::Repository::retry_conflicts)).
///
/// Each retry reloads the aggregate and decides again, after a pause drawn at random
/// between zero and a cap that doubles from `min_backoff` up to `max_backoff` ("full
/// jitter"), so racing writers spread out instead of colliding again. It stops at
/// `max_attempts` executions or once `max_elapsed` has passed, whichever is first.
///
/// ```
/// use std::time::Duration;
/// use cqrs_core::RetryPolicy;
///
/// let policy = RetryPolicy::attempts(8).backoff(Duration::from_millis(1), Duration::from_millis(50));
/// assert_eq!(policy.max_attempts, 8);
/// let patient = RetryPolicy::for_up_to(Duration::from_secs(30));
/// assert_eq!(patient.max_elapsed, Some(Duration::from_secs(30)));
/// assert_eq!(RetryPolicy::default(), RetryPolicy::for_up_to(Duration::from_secs(10)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Executions in all, the first included; `1` never retries.
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first execution.
    pub max_elapsed: Option<Duration>,
    /// The cap of the first pause.
    pub min_backoff: Duration,
    /// The largest cap.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// No retries: a conflict is returned at once.
    pub const NEVER: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        max_elapsed: None,
        min_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// Up to `max_attempts` executions, pausing 0..2 ms at first, 0..100 ms at most.
    pub fn attempts(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            max_elapsed: None,
            min_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(100),
        }
    }

    /// Retries for as long as `max_elapsed` after the first execution, however many
    /// attempts that takes, with the pauses of [`attempts`](Self::attempts).
    pub fn for_up_to(max_elapsed: Duration) -> Self {
        RetryPolicy {
            max_elapsed: Some(max_elapsed),
            ..Self::attempts(u32::MAX)
        }
    }

    /// Whether attempt number `attempt` (from 1) may start after `elapsed`.
    pub(crate) fn allows(&self, attempt: u32, elapsed: Duration) -> bool {
        attempt <= self.max_attempts && self.max_elapsed.is_none_or(|max| elapsed < max)
    }

    /// Sets the first and the largest pause cap.
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// The pause before retry number `retry` (from 1): uniform in `0..=cap`.
    pub(crate) fn pause(&self, retry: u32) -> Duration {
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
        let cap = self
            .min_backoff
            .saturating_mul(doubling)
            .min(self.max_backoff);
        // Random bits from a v4 UUID: no extra dependency for a pause.
        let random = (Uuid::new_v4().as_u128() as u64) as f64 / u64::MAX as f64;
        cap.mul_f64(random)
    }
}

/// Conflicts with other processes are retried for up to 10 s.
impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::for_up_to(Duration::from_secs(10))
    }
}
