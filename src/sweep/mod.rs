//! sweep (being built)
