//! kernel (being built)
