//! The store contract (`common/store_contract.rs`) on the SQLite store:
//! each test on a fresh database file, as `serve` opens it.

#[path = "common/store_contract.rs"]
mod store_contract;

use std::future::Future;
use std::sync::Arc;

use battlescope_platform::adapters::sqlite::SqliteStore;
use battlescope_platform::ports::Store;

async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .expect("open a SQLite store");
    test(Arc::new(store)).await;
}

store_contract::contract_tests!(on_sqlite);
