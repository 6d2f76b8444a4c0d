//! binance (being built)
