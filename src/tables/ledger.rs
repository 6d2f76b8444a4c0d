//! Trade ledger and equity curve tables (`trades`, `equity`) of single backtests.
