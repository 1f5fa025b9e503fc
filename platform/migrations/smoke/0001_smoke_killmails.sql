-- Smoke-test migration (platform/tests/backend_postgres.rs): not the
-- platform's schema, only proof that migrations run against PostgreSQL.
CREATE TABLE smoke_killmail (
    killmail_id     BIGINT PRIMARY KEY,
    solar_system_id BIGINT NOT NULL,
    killmail_time   TIMESTAMPTZ NOT NULL,
    total_value     DOUBLE PRECISION NOT NULL,
    payload         JSONB NOT NULL
);
