//! Deterministic synthetic candles (being built)
