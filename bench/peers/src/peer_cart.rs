//! The cart of the workload, written against cqrs-es as its documentation shows:
//! the same rules, events and read model as `examples/cart`.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent, EventEnvelope, Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub enum PeerCommand {
    AddItem {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PeerEvent {
    ItemAdded {
        sku: String,
        quantity: u32,
        unit_price_cents: u64,
    },
}

impl DomainEvent for PeerEvent {
    fn event_type(&self) -> String {
        "cart.item_added".into()
    }
    fn event_version(&self) -> String {
        "2".into()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    #[error("product `{0}` is in the cart at another price")]
    PriceMismatch(String),
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Line {
    pub quantity: u32,
    pub unit_price_cents: u64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct PeerCart {
    pub lines: HashMap<String, Line>,
}

impl Aggregate for PeerCart {
    const TYPE: &'static str = "cart";
    type Command = PeerCommand;
    type Event = PeerEvent;
    type Error = PeerError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PeerCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PeerError> {
        let PeerCommand::AddItem {
            sku,
            quantity,
            unit_price_cents,
        } = command;
        if quantity == 0 {
            return Err(PeerError::ZeroQuantity);
        }
        if let Some(line) = self.lines.get(&sku)
            && line.unit_price_cents != unit_price_cents
        {
            return Err(PeerError::PriceMismatch(sku));
        }
        let event = PeerEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: PeerEvent) {
        let PeerEvent::ItemAdded {
            sku,
            quantity,
            unit_price_cents,
        } = event;
        let line = self.lines.entry(sku).or_insert(Line {
            quantity: 0,
            unit_price_cents,
        });
        line.quantity = line.quantity.saturating_add(quantity);
    }
}

/// Units added per product: the `top_products` read model.
#[derive(Debug, Default)]
pub struct PeerPopularity {
    pub units: std::sync::Mutex<HashMap<String, (u64, u64)>>,
}

impl PeerPopularity {
    pub fn top(&self, limit: usize) -> Vec<(String, u64)> {
        let units = self.units.lock().unwrap_or_else(|e| e.into_inner());
        let mut ranked: Vec<(String, u64)> = units.iter().map(|(s, u)| (s.clone(), u.0)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }
}

#[async_trait::async_trait]
impl Query<PeerCart> for PeerPopularity {
    async fn dispatch(&self, _: &str, events: &[EventEnvelope<PeerCart>]) {
        let mut units = self.units.lock().unwrap_or_else(|e| e.into_inner());
        for envelope in events {
            let PeerEvent::ItemAdded { sku, quantity, .. } = &envelope.payload;
            let count = units.entry(sku.clone()).or_default();
            count.0 += u64::from(*quantity);
            count.1 += 1;
        }
    }
}
