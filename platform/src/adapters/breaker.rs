//! A circuit breaker: after a run of failures it stops calls to a service
//! that is down (failing fast instead of piling up timeouts), then lets one
//! trial call through to see whether it is back.
//!
//! Closed → (`failure_threshold` consecutive failures) → open →
//! (`open_for` elapsed) → half-open → one trial: success → closed,
//! failure → open again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When the breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open it.
    pub failure_threshold: u32,
    /// How long it stays open before a trial call.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

/// The breaker's state, for metrics (`0` closed, `1` open, `2` half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    /// The gauge value: 0 closed, 1 open, 2 half-open.
    #[must_use]
    pub fn as_gauge(self) -> u8 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

#[derive(Debug)]
struct Inner {
    failures: u32,
    opened_at: Option<Instant>,
    trial_running: bool,
}

/// Shared by every call to one service.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
    opened: AtomicU64,
}

/// Leave to make one call; say how it went with [`Permit::success`] or
/// [`Permit::failure`]. Dropped without either (the call was cancelled),
/// it frees the trial slot and changes nothing else.
#[derive(Debug)]
#[must_use]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    done: bool,
}

impl Permit<'_> {
    pub fn success(mut self) {
        self.done = true;
        self.breaker.record(true, Instant::now());
    }

    pub fn failure(mut self) {
        self.done = true;
        self.breaker.record(false, Instant::now());
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.done {
            self.breaker.lock().trial_running = false;
        }
    }
}

impl CircuitBreaker {
    #[must_use]
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                failures: 0,
                opened_at: None,
                trial_running: false,
            }),
            opened: AtomicU64::new(0),
        }
    }

    /// The state now.
    #[must_use]
    pub fn state(&self) -> BreakerState {
        self.state_at(Instant::now())
    }

    /// How many times it has opened since it was made.
    #[must_use]
    pub fn times_opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// A permit to call, or how long until the next trial.
    ///
    /// # Errors
    /// The remaining open time when the breaker is open, or
    /// [`Duration::ZERO`] while another call is the half-open trial.
    pub fn acquire(&self) -> Result<Permit<'_>, Duration> {
        self.acquire_at(Instant::now())
    }

    fn state_at(&self, now: Instant) -> BreakerState {
        let inner = self.lock();
        match inner.opened_at {
            None => BreakerState::Closed,
            Some(at) if now.duration_since(at) < self.config.open_for => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    fn acquire_at(&self, now: Instant) -> Result<Permit<'_>, Duration> {
        let mut inner = self.lock();
        let trial = match inner.opened_at {
            None => false,
            Some(at) => {
                let open = now.duration_since(at);
                if open < self.config.open_for {
                    return Err(self.config.open_for - open);
                }
                if inner.trial_running {
                    return Err(Duration::ZERO);
                }
                inner.trial_running = true;
                true
            }
        };
        Ok(Permit {
            breaker: self,
            trial,
            done: false,
        })
    }

    fn record(&self, ok: bool, now: Instant) {
        let mut inner = self.lock();
        inner.trial_running = false;
        if ok {
            inner.failures = 0;
            inner.opened_at = None;
            return;
        }
        inner.failures = inner.failures.saturating_add(1);
        let half_open = inner.opened_at.is_some();
        if half_open || inner.failures >= self.config.failure_threshold {
            if !half_open {
                self.opened.fetch_add(1, Ordering::Relaxed);
            }
            inner.opened_at = Some(now);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each update leaves the fields consistent, so a poisoned lock is
        // still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            open_for: Duration::from_secs(10),
        })
    }

    fn fail(b: &CircuitBreaker, now: Instant) {
        let p = b.acquire_at(now).expect("closed");
        p.done_at(false, now);
    }

    impl Permit<'_> {
        fn done_at(mut self, ok: bool, now: Instant) {
            self.done = true;
            self.breaker.record(ok, now);
        }
    }

    #[test]
    fn opens_after_the_threshold_and_fails_fast() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        assert_eq!(b.state_at(t0), BreakerState::Closed);
        fail(&b, t0);
        assert_eq!(b.state_at(t0), BreakerState::Open);
        assert_eq!(b.times_opened(), 1);
        let wait = b.acquire_at(t0 + Duration::from_secs(4)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
    }

    #[test]
    fn a_success_resets_the_count() {
        let b = breaker();
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        b.acquire_at(t0).unwrap().done_at(true, t0);
        fail(&b, t0);
        fail(&b, t0);
        assert_eq!(b.state_at(t0), BreakerState::Closed);
    }

    #[test]
    fn half_open_lets_one_trial_through() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            fail(&b, t0);
        }
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.state_at(later), BreakerState::HalfOpen);
        let trial = b.acquire_at(later).unwrap();
        assert_eq!(b.acquire_at(later).unwrap_err(), Duration::ZERO);
        // The trial fails: open again for a full period.
        trial.done_at(false, later);
        assert_eq!(b.state_at(later), BreakerState::Open);
        assert_eq!(b.times_opened(), 1);
        let again = later + Duration::from_secs(10);
        b.acquire_at(again).unwrap().done_at(true, again);
        assert_eq!(b.state_at(again), BreakerState::Closed);
    }

    #[test]
    fn a_cancelled_trial_frees_the_slot() {
        let b = breaker();
        let t0 = Instant::now();
        for _ in 0..3 {
            fail(&b, t0);
        }
        let later = t0 + Duration::from_secs(11);
        drop(b.acquire_at(later).unwrap());
        assert!(b.acquire_at(later).is_ok());
    }
}
