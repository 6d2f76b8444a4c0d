//! Live futures trading: exchange client, bots, journal (being built).
