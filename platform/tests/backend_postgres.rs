//! Smoke test of the real database (`PostgreSQL`): sqlx connects with `DATABASE_URL`, runs the
//! migrations in `platform/migrations/smoke/` inside a schema of its own,
//! writes idempotently and reads back. Needs `deploy/local/services up`.

mod common;

use std::time::Duration;

use common::{require_env, unique_name, within};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, Row};

static SMOKE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/smoke");

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn postgres_migrates_and_round_trips() {
    within(LIMIT, "PostgreSQL smoke test", run()).await;
}

async fn run() {
    let url = require_env("DATABASE_URL");
    let base: PgConnectOptions = url
        .parse()
        .unwrap_or_else(|e| panic!("DATABASE_URL={url} is not a PostgreSQL URL: {e}"));

    // A schema per run keeps the test re-runnable and away from real tables.
    let schema = unique_name("smoke");
    let mut admin = PgConnection::connect_with(&base).await.unwrap_or_else(|e| {
        panic!("cannot connect to PostgreSQL at DATABASE_URL={url} (is `deploy/local/services up` running?): {e}")
    });
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut admin)
        .await
        .expect("create schema");

    let result = exercise(&base, &schema).await;

    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    admin.close().await.expect("close admin connection");
    if let Err(message) = result {
        panic!("{message}");
    }
}

async fn exercise(base: &PgConnectOptions, schema: &str) -> Result<(), String> {
    let options = base.clone().options([("search_path", schema)]);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| format!("pool connect: {e}"))?;

    // Migrations apply in order, and a second run is a no-op.
    SMOKE_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| format!("migrate: {e}"))?;
    SMOKE_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| format!("second migrate: {e}"))?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await
            .map_err(|e| format!("read _sqlx_migrations: {e}"))?;
    if applied != [1, 2] {
        return Err(format!(
            "expected migrations [1, 2] applied, found {applied:?}"
        ));
    }

    // Idempotent writes keyed by killmail id: inserting twice stores once.
    for _attempt in 0..2 {
        for id in 0..100_i64 {
            sqlx::query(
                "INSERT INTO smoke_killmail \
                 (killmail_id, solar_system_id, killmail_time, total_value, payload) \
                 VALUES ($1, $2, to_timestamp($3), $4, $5::jsonb) \
                 ON CONFLICT (killmail_id) DO NOTHING",
            )
            .bind(130_000_000 + id)
            .bind(30_000_142 + id % 3)
            .bind(1_750_000_000.0 + 60.0 * f64::from(i32::try_from(id).expect("small id")))
            .bind(1.5e6 * f64::from(i32::try_from(id + 1).expect("small id")))
            .bind(format!(
                r#"{{"victim": {{"character_id": {}}}}}"#,
                90_000_000 + id
            ))
            .execute(&pool)
            .await
            .map_err(|e| format!("insert killmail {id}: {e}"))?;
        }
    }

    let row = sqlx::query(
        "SELECT count(*) AS n, count(DISTINCT solar_system_id) AS systems, \
         sum(total_value) AS isk FROM smoke_killmail",
    )
    .fetch_one(&pool)
    .await
    .map_err(|e| format!("aggregate: {e}"))?;
    let n: i64 = row.get("n");
    let systems: i64 = row.get("systems");
    let isk: f64 = row.get("isk");
    if n != 100 || systems != 3 {
        return Err(format!(
            "expected 100 killmails in 3 systems, found {n} in {systems}"
        ));
    }
    let expected_isk = 1.5e6 * 5050.0;
    if (isk - expected_isk).abs() > 1.0 {
        return Err(format!("expected {expected_isk} ISK in total, found {isk}"));
    }

    let victim: String = sqlx::query_scalar(
        "SELECT payload->'victim'->>'character_id' FROM smoke_killmail WHERE killmail_id = $1",
    )
    .bind(130_000_042_i64)
    .fetch_one(&pool)
    .await
    .map_err(|e| format!("select by id: {e}"))?;
    if victim != "90000042" {
        return Err(format!("expected victim 90000042, found {victim}"));
    }

    // The tables really are in the run's own schema.
    let in_schema: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables \
         WHERE table_name = 'smoke_killmail' AND table_schema = $1",
    )
    .bind(schema)
    .fetch_one(&pool)
    .await
    .map_err(|e| format!("information_schema: {e}"))?;
    if in_schema != 1 {
        return Err(format!("smoke_killmail not found in schema {schema}"));
    }

    pool.close().await;
    Ok(())
}
