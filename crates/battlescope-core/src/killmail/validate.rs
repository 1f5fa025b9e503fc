//! Validation beyond syntax: what a well-formed killmail must also satisfy.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::Killmail;
use crate::error::{Error, RecordLoc};

/// The first day killmails can exist: EVE Online's release, 2003-05-06.
pub const EARLIEST_KILLMAIL: &str = "2003-05-06T00:00:00Z";

/// Limits applied by [`validate`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Most attackers a killmail may list (the largest real fights stay far below).
    pub max_attackers: usize,
    /// How far in the future a killmail time may be (clock skew).
    pub max_future: TimeDelta,
    /// "Now" for the future check; `None` reads the system clock.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_attackers: 10_000,
            max_future: TimeDelta::days(1),
            now: None,
        }
    }
}

fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2003, 5, 6, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Check a parsed killmail; the error names the field and the rule it broke.
///
/// # Errors
/// [`Error::Invalid`] for the first rule broken.
pub fn validate(km: &Killmail, limits: &Limits, record: &RecordLoc) -> Result<(), Error> {
    let invalid = |field: &str, reason: String| Error::Invalid {
        record: record.clone(),
        field: field.to_owned(),
        reason: crate::error::shorten_values(&reason),
    };
    if km.killmail_id == 0 {
        return Err(invalid("killmail_id", "must be > 0, got 0".to_owned()));
    }
    if km.solar_system_id == 0 {
        return Err(invalid("solar_system_id", "must be > 0, got 0".to_owned()));
    }
    if km.killmail_time < earliest() {
        return Err(invalid(
            "killmail_time",
            format!(
                "{} is before {EARLIEST_KILLMAIL}, the first day of EVE Online",
                km.killmail_time.to_rfc3339()
            ),
        ));
    }
    let now = limits.now.unwrap_or_else(Utc::now);
    if km.killmail_time > now + limits.max_future {
        return Err(invalid(
            "killmail_time",
            format!(
                "{} is more than {} h in the future",
                km.killmail_time.to_rfc3339(),
                limits.max_future.num_hours()
            ),
        ));
    }
    if km.attackers.is_empty() {
        return Err(invalid(
            "attackers",
            "must list at least one attacker".to_owned(),
        ));
    }
    if km.attackers.len() > limits.max_attackers {
        return Err(invalid(
            "attackers",
            format!(
                "has {} attackers, more than the limit of {}",
                km.attackers.len(),
                limits.max_attackers
            ),
        ));
    }
    let final_blows = km.attackers.iter().filter(|a| a.final_blow).count();
    if final_blows > 1 {
        return Err(invalid(
            "attackers[].final_blow",
            format!("is true on {final_blows} attackers, at most one may have it"),
        ));
    }
    Ok(())
}

with_setters!(Limits {
    /// Sets [`Limits::max_attackers`].
    with_max_attackers => max_attackers: usize,
    /// Sets [`Limits::max_future`].
    with_max_future => max_future: TimeDelta,
    /// Sets [`Limits::now`] (`None` reads the system clock).
    with_now => now: Option<DateTime<Utc>>,
});
