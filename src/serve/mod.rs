//! `qm serve`: REST API and dashboard (being built).
