//! lake (being built)
