//! Rulesets: which killmails enter the platform (being written).
