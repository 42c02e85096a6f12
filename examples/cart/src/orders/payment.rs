//! Payments, with a simulated provider: an operator (or a test) confirms or fails
//! each one; one not confirmed by its due time expires.

use chrono::{DateTime, Utc};
use cqrs_core::{Aggregate, Command, DomainEvent};
use serde::{Deserialize, Serialize};

/// What happened to one order's payment (stream `payment-{order}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, DomainEvent)]
#[event(aggregate = Payment)]
pub enum PaymentEvent {
    /// The customer was asked to pay, by `due`.
    #[event(name = "payment.requested")]
    Requested {
        order: String,
        amount_cents: u64,
        due: DateTime<Utc>,
    },
    /// The provider confirmed the payment.
    #[event(name = "payment.confirmed")]
    Confirmed { order: String },
    /// The provider refused it.
    #[event(name = "payment.failed")]
    Failed { order: String, reason: String },
    /// It was not confirmed by its due time.
    #[event(name = "payment.expired")]
    Expired { order: String },
}

/// What is asked of a payment.
#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Payment)]
pub enum PaymentCommand {
    /// Ask the customer to pay `amount_cents` by `due`.
    Request {
        order: String,
        amount_cents: u64,
        due: DateTime<Utc>,
    },
    /// The provider says it is paid.
    Confirm,
    /// The provider says it is refused.
    Fail { reason: String },
    /// The due time passed: expires a payment still pending; nothing once settled.
    Expire,
}

/// Where a payment stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    #[default]
    None,
    Pending,
    Confirmed,
    Failed,
    Expired,
}

/// Why a payment refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("no payment was requested for this order")]
    NotRequested,
    #[error("the payment of order `{order}` is already {status:?}")]
    Settled {
        order: String,
        status: PaymentStatus,
    },
}

/// One order's payment.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, Aggregate)]
#[aggregate(name = "payment", event = PaymentEvent, error = PaymentError)]
pub struct Payment {
    pub order: String,
    pub status: PaymentStatus,
}

impl Payment {
    fn pending(&self) -> Result<String, PaymentError> {
        match self.status {
            PaymentStatus::Pending => Ok(self.order.clone()),
            PaymentStatus::None => Err(PaymentError::NotRequested),
            status => Err(PaymentError::Settled {
                order: self.order.clone(),
                status,
            }),
        }
    }

    fn request(
        &self,
        order: String,
        amount_cents: u64,
        due: DateTime<Utc>,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        if self.status != PaymentStatus::None {
            return Ok(Vec::new());
        }
        Ok(vec![PaymentEvent::Requested {
            order,
            amount_cents,
            due,
        }])
    }

    fn confirm(&self) -> Result<Vec<PaymentEvent>, PaymentError> {
        let order = self.pending()?;
        Ok(vec![PaymentEvent::Confirmed { order }])
    }

    fn fail(&self, reason: String) -> Result<Vec<PaymentEvent>, PaymentError> {
        let order = self.pending()?;
        Ok(vec![PaymentEvent::Failed { order, reason }])
    }

    fn expire(&self) -> Result<Vec<PaymentEvent>, PaymentError> {
        Ok(match self.pending() {
            Ok(order) => vec![PaymentEvent::Expired { order }],
            Err(_) => Vec::new(),
        })
    }

    fn on_requested(&mut self, order: String, _: u64, _: DateTime<Utc>) {
        self.order = order;
        self.status = PaymentStatus::Pending;
    }

    fn on_confirmed(&mut self, _: String) {
        self.status = PaymentStatus::Confirmed;
    }

    fn on_failed(&mut self, _: String, _: String) {
        self.status = PaymentStatus::Failed;
    }

    fn on_expired(&mut self, _: String) {
        self.status = PaymentStatus::Expired;
    }
}
