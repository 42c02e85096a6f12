//! Orders: what happens after a checkout, across four aggregates (cart, order,
//! stock, payment) moved by one process manager ([`fulfilment::Fulfilment`]).

pub mod cli;
pub mod fulfilment;
pub mod order;
pub mod payment;
pub mod service;
pub mod stock;
pub mod view;
