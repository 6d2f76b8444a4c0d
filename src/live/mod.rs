//! Live futures trading: credentials that cannot leak, request signing, exchange filters,
//! deterministic client order ids and the clock bots run on.

pub mod clock;
pub mod credentials;
pub mod filters;
pub mod ids;
pub mod mock;
pub mod sign;
