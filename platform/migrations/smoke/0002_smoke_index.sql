-- A second step, so the test sees migrations applied in order.
CREATE INDEX smoke_killmail_system_time ON smoke_killmail (solar_system_id, killmail_time);
