//! The bus contract (`tests/common/bus_contract.rs`) on the in-process bus,
//! as the services see it and as a bus that leaves the process does (bytes
//! only, nothing attached).

#[macro_use]
#[path = "common/bus_contract.rs"]
mod bus_contract;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use battlescope_platform::adapters::memory_bus::MemoryBus;
use battlescope_platform::ports::bus::Bus;

struct MemoryHarness {
    bytes_only: bool,
}

#[async_trait]
impl bus_contract::Harness for MemoryHarness {
    async fn bus(&self, partitions: u32) -> Arc<dyn Bus> {
        if self.bytes_only {
            Arc::new(MemoryBus::bytes_only(partitions, 1000))
        } else {
            Arc::new(MemoryBus::new(partitions, 1000))
        }
    }

    fn patience(&self) -> Duration {
        Duration::from_secs(5)
    }

    fn quiet(&self) -> Duration {
        Duration::from_millis(50)
    }
}

mod attached {
    bus_contract_tests!(super::MemoryHarness { bytes_only: false });
}

mod bytes_only {
    bus_contract_tests!(super::MemoryHarness { bytes_only: true });
}
