-- A late kill is re-clustered from the store: its component is walked
-- window by window in its solar system (ports/store.rs `killmails_in`).
CREATE INDEX killmails_system_time ON killmails (solar_system_id, killmail_time);
