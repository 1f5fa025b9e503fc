//! Tests against the real database (`PostgreSQL`): sqlx connects with
//! `DATABASE_URL`; each test works in a schema of its own. The smoke test
//! runs the migrations in `platform/migrations/smoke/`, writes idempotently
//! and reads back; the store test runs the store's migrations — the same
//! files the SQLite store runs — and the statements the store relies on.
//! Then the PostgreSQL store itself: the store contract
//! (`common/store_contract.rs`, which SQLite passes too), `serve`'s
//! `open_store` with a `postgres://` URL, and a database cut off and back.
//! Needs `deploy/local/services up`.

mod common;
#[path = "common/store_contract.rs"]
mod store_contract;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use battlescope_platform::adapters::postgres::PgStore;
use battlescope_platform::ports::Store;
use common::{require_env, unique_name, within};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, Row};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

static SMOKE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/smoke");
/// The store's migrations, shared with the SQLite store.
static STORE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/store");

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn postgres_migrates_and_round_trips() {
    within(
        LIMIT,
        "PostgreSQL smoke test",
        in_own_schema("smoke", Test::Smoke),
    )
    .await;
}

#[tokio::test]
async fn the_store_migrations_shared_with_sqlite_run_on_postgres() {
    within(
        LIMIT,
        "PostgreSQL store migrations",
        in_own_schema("store", Test::Store),
    )
    .await;
}

#[derive(Clone, Copy)]
enum Test {
    Smoke,
    Store,
}

/// A schema of a test's own: keeps tests re-runnable, apart from each
/// other and away from real tables.
struct Schema {
    name: String,
    /// `DATABASE_URL`'s options.
    base: PgConnectOptions,
    admin: PgConnection,
}

impl Schema {
    async fn create(prefix: &str) -> Self {
        let url = require_env("DATABASE_URL");
        let base: PgConnectOptions = url
            .parse()
            .unwrap_or_else(|e| panic!("DATABASE_URL={url} is not a PostgreSQL URL: {e}"));
        let name = unique_name(prefix);
        let mut admin = PgConnection::connect_with(&base).await.unwrap_or_else(|e| {
            panic!("cannot connect to PostgreSQL at DATABASE_URL={url} (is `deploy/local/services up` running?): {e}")
        });
        sqlx::query(&format!("CREATE SCHEMA \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("create schema");
        Self { name, base, admin }
    }

    /// Connection options that work in this schema.
    fn options(&self) -> PgConnectOptions {
        self.base.clone().options([("search_path", &self.name)])
    }

    async fn drop(mut self) {
        sqlx::query(&format!("DROP SCHEMA \"{}\" CASCADE", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop schema");
        self.admin.close().await.expect("close admin connection");
    }
}

async fn in_own_schema(prefix: &str, test: Test) {
    let schema = Schema::create(prefix).await;
    let result = match test {
        Test::Smoke => exercise(&schema.base, &schema.name).await,
        Test::Store => store_schema(&schema.base, &schema.name).await,
    };
    schema.drop().await;
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

/// The store's tables, view and indexes on PostgreSQL: every table takes
/// the idempotent upserts the store issues, and the reads it makes work.
async fn store_schema(base: &PgConnectOptions, schema: &str) -> Result<(), String> {
    let options = base.clone().options([("search_path", schema)]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| format!("pool connect: {e}"))?;
    STORE_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| format!("store migrations: {e}"))?;
    STORE_MIGRATIONS
        .run(&pool)
        .await
        .map_err(|e| format!("store migrations, second run: {e}"))?;

    // The writes of a writer batch, twice (redelivery): stored once.
    let statements: [&str; 8] = [
        "INSERT INTO rulesets (name, format, body, active, updated_at) VALUES ('default', 'toml', '', TRUE, 1) \
         ON CONFLICT (name) DO UPDATE SET body = excluded.body",
        "INSERT INTO ingested_killmails (killmail_id) VALUES (130000001) ON CONFLICT (killmail_id) DO NOTHING",
        "INSERT INTO clusterer_checkpoints (consumer_group, topic, partition_id, log_id, next_offset, snapshot, saved_at) \
         VALUES ('clusterer', 'killmail.enriched', 0, 'log', 42, '{}', 1) \
         ON CONFLICT (consumer_group, topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset",
        "INSERT INTO killmails (killmail_id, killmail_time, solar_system_id, total_value, body, summary, names) \
         VALUES (130000001, 1750000000, 30000142, 1.5e6, '{}', '{}', '[]') ON CONFLICT (killmail_id) DO NOTHING",
        "INSERT INTO participants (killmail_id, slot, killmail_time, character_id, corporation_id, alliance_id, ship_type_id, is_victim) \
         VALUES (130000001, 0, 1750000000, 90000001, 98000001, NULL, 587, TRUE), \
                (130000001, 1, 1750000000, 90000002, 98000002, 99000002, 24698, FALSE) \
         ON CONFLICT (killmail_id, slot) DO NOTHING",
        "INSERT INTO battles (id, system_id, region_id, security_class, start_time, end_time, kill_count, isk_destroyed, document, merged_into) \
         VALUES ('b1', 30000142, 10000002, 'high_sec', 1750000000, 1750000060, 1, 1.5e6, '{}', NULL) \
         ON CONFLICT (id) DO UPDATE SET kill_count = excluded.kill_count, document = excluded.document",
        "INSERT INTO battle_kills (killmail_id, battle_id) VALUES (130000001, 'b1') \
         ON CONFLICT (killmail_id) DO UPDATE SET battle_id = excluded.battle_id",
        "INSERT INTO events (event_id, event_type, event_key, timestamp_ms, payload) \
         VALUES ('e1', 'battle.created', '30000142', 1750000000000, '{}') ON CONFLICT (event_id) DO NOTHING",
    ];
    for _ in 0..2 {
        for sql in statements {
            sqlx::query(sql)
                .execute(&pool)
                .await
                .map_err(|e| format!("{sql}: {e}"))?;
        }
    }
    for (table, expected) in [
        ("rulesets", 1_i64),
        ("ingested_killmails", 1),
        ("clusterer_checkpoints", 1),
        ("killmails", 1),
        ("participants", 2),
        ("battles", 1),
        ("battle_kills", 1),
        ("events", 1),
        ("dead_letters", 0),
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .map_err(|e| format!("count {table}: {e}"))?;
        if n != expected {
            return Err(format!("{table}: expected {expected} rows, found {n}"));
        }
    }
    // The pilot ship history view and the battle list's order.
    let ships: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT ship_type_id, lost FROM pilot_ship_history WHERE character_id IN (90000001, 90000002) \
         ORDER BY character_id",
    )
    .fetch_all(&pool)
    .await
    .map_err(|e| format!("pilot_ship_history: {e}"))?;
    if ships != [(587, true), (24698, false)] {
        return Err(format!("pilot_ship_history: {ships:?}"));
    }
    let newest: Vec<String> =
        sqlx::query_scalar("SELECT id FROM battles ORDER BY start_time DESC, id DESC LIMIT 1")
            .fetch_all(&pool)
            .await
            .map_err(|e| format!("battle list: {e}"))?;
    if newest != ["b1"] {
        return Err(format!("battle list: {newest:?}"));
    }
    pool.close().await;
    Ok(())
}

// ------------------------------------------------------- the PostgreSQL store --

/// Runs a contract test on a fresh PostgreSQL store in a schema of its
/// own, dropped afterwards also when the test fails.
async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    within(LIMIT, "store contract on PostgreSQL", async {
        let schema = Schema::create("contract").await;
        let store = PgStore::open(schema.options(), 4)
            .await
            .unwrap_or_else(|e| panic!("open the PostgreSQL store: {e}"));
        // Spawned, so that a failing test still drops its schema.
        let outcome = tokio::spawn(test(Arc::new(store))).await;
        schema.drop().await;
        if let Err(failure) = outcome {
            std::panic::resume_unwind(failure.into_panic());
        }
    })
    .await;
}

store_contract::contract_tests!(on_postgres);

#[tokio::test]
async fn serve_opens_the_postgres_store_a_url_names() {
    within(LIMIT, "open_store with a postgres:// URL", async {
        let mut schema = Schema::create("open_store").await;
        let url = require_env("DATABASE_URL");
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options=-c%20search_path%3D{}", schema.name);
        let store = battlescope_platform::serve::open_store(&url)
            .await
            .unwrap_or_else(|e| panic!("open_store({url}): {e:#}"));
        store.ping().await.expect("ping");
        store
            .write(&store_contract::sample_batch())
            .await
            .expect("write");
        store_contract::assert_holds_sample_once(&*store).await;
        // In the URL's schema, not in `public`.
        let killmails: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{}\".killmails",
            schema.name
        ))
        .fetch_one(&mut schema.admin)
        .await
        .expect("count killmails in the schema");
        assert_eq!(killmails, 2);
        drop(store);
        schema.drop().await;
    })
    .await;
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped,
/// new ones refused) and restored, on the same port.
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Relay {
    async fn start(to: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let (up, links) = (up.clone(), links.clone());
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(to).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().expect("relay links").push(link);
                }
            }
        });
        Self {
            addr,
            up,
            links,
            accept,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("relay links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

#[tokio::test]
async fn a_store_cut_off_is_not_ready_fails_writes_and_loses_nothing() {
    within(
        Duration::from_secs(120),
        "PostgreSQL cut off and back",
        async {
            let schema = Schema::create("cut_off").await;
            let server = tokio::net::lookup_host((schema.base.get_host(), schema.base.get_port()))
                .await
                .expect("resolve DATABASE_URL's host")
                .next()
                .expect("an address for DATABASE_URL's host");
            let relay = Relay::start(server).await;
            let store = PgStore::open(
                schema.options().host("127.0.0.1").port(relay.addr.port()),
                2,
            )
            .await
            .expect("open the store through the relay");
            store.ping().await.expect("ping while connected");

            relay.cut();
            let ping = store.ping().await;
            assert!(ping.is_err(), "ping with the database cut off: {ping:?}");
            let write = store.write(&store_contract::sample_batch()).await;
            let error = write.expect_err("a write with the database cut off fails");
            assert!(
                error.to_string().contains("write"),
                "names what failed: {error}"
            );

            // The caller retries once the database is back: stored once, whole.
            relay.restore();
            store.ping().await.expect("ping once restored");
            store
                .write(&store_contract::sample_batch())
                .await
                .expect("the retried write");
            store_contract::assert_holds_sample_once(&store).await;
            drop(store);
            drop(relay);
            schema.drop().await;
        },
    )
    .await;
}
