//! Live futures trading (issue 6, being built): the pieces of the Binance USDⓈ-M client that
//! do not need the network yet — credentials that cannot leak, request signing, exchange
//! filters and deterministic client order ids. The bot loop and journal are not here yet;
//! `qm bot` says so.

pub mod credentials;
pub mod filters;
pub mod ids;
pub mod sign;
