//! indicators (being built)
