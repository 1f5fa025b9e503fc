//! Runnable examples of `battlescope-core` (see `README.md`):
//! `battles` reads files and prints a table of battles; `live` feeds a
//! `Clusterer` one killmail at a time and prints its events.
