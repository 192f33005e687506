//! Runs one case on its own connection (being written).
