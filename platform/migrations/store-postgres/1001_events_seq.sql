-- PostgreSQL only (run after the shared migrations of ../store, which
-- create `events`): the event store's order. SQLite reads it in `rowid`
-- order; PostgreSQL has no such column, so an identity column numbers the
-- appends (the store takes an advisory lock around appends, so numbers
-- also commit in order: a reader never sees seq N+1 before seq N).
-- Versions from 1001 up keep clear of the shared set's.
ALTER TABLE events ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX events_seq ON events (seq);
