//! strategies (being built)
