//! Security classes of space and the game's rounding of security status.
//!
//! Rules, in order:
//! 1. ids 31000000–31999999 are J-space: [`SecurityClass::Wormhole`] (Thera,
//!    31000005, included), whether or not the table lists the id;
//! 2. ids from 32000000 up are instanced pockets (abyssal deadspace, and the
//!    void systems the SDE numbers from 34000000): [`SecurityClass::Abyssal`],
//!    whether or not the table lists the id;
//! 3. systems of region 10000070 are [`SecurityClass::Pochven`];
//! 4. other known systems go by their security status *as the game displays
//!    it* ([`rounded_security`]): 0.5 and up is high-sec, 0.1 to 0.4 low-sec,
//!    0.0 and below null-sec;
//! 5. an id that is in none of the ranges above and not in the table has no
//!    class (`None`).

use std::fmt;
use std::str::FromStr;

use super::systems::system;

/// First and last id of J-space (wormhole) systems.
const WORMHOLE_IDS: std::ops::RangeInclusive<u32> = 31_000_000..=31_999_999;
/// First id of abyssal (and void) pockets.
const FIRST_ABYSSAL_ID: u32 = 32_000_000;
/// The Pochven region.
const POCHVEN_REGION_ID: u32 = 10_000_070;
/// Slack, in tenths, that keeps decimal halves such as 0.45 (whose nearest
/// `f64` may lie just below the half) rounding up like the game does.
const ROUNDING_SLACK_TENTHS: f64 = 1e-9;

/// The class of space a solar system is in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SecurityClass {
    /// Known space displayed at 0.5 to 1.0.
    HighSec,
    /// Known space displayed at 0.1 to 0.4.
    LowSec,
    /// Known space displayed at 0.0 or below.
    NullSec,
    /// J-space, Thera included.
    Wormhole,
    /// The Pochven region (Triglavian space).
    Pochven,
    /// Abyssal deadspace and other instanced pockets (ids from 32000000).
    Abyssal,
}

impl SecurityClass {
    /// Every class, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::HighSec,
        Self::LowSec,
        Self::NullSec,
        Self::Wormhole,
        Self::Pochven,
        Self::Abyssal,
    ];

    /// The `snake_case` name, as used by serde, [`fmt::Display`] and
    /// [`FromStr`].
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HighSec => "high_sec",
            Self::LowSec => "low_sec",
            Self::NullSec => "null_sec",
            Self::Wormhole => "wormhole",
            Self::Pochven => "pochven",
            Self::Abyssal => "abyssal",
        }
    }

    /// The class of the solar system with this id; `None` for an unknown
    /// known-space id. Wormhole and abyssal ids are classified by range alone.
    #[must_use]
    pub fn of_system(id: u32) -> Option<Self> {
        match Self::by_id_range(id) {
            Some(class) => Some(class),
            None => system(id).map(super::SolarSystem::security_class),
        }
    }

    /// The class of known space (high, low or null) with this true security
    /// status, as the game rounds it (see [`rounded_security`]). NaN is
    /// null-sec.
    #[must_use]
    pub fn from_security(security: f64) -> Self {
        let tenths = shown_tenths(security);
        if tenths >= 5.0 {
            Self::HighSec
        } else if tenths >= 1.0 {
            Self::LowSec
        } else {
            Self::NullSec
        }
    }

    /// Full classification of a system from its id, region and security.
    pub(super) fn classify(id: u32, region_id: u32, security: f64) -> Self {
        match Self::by_id_range(id) {
            Some(class) => class,
            None if region_id == POCHVEN_REGION_ID => Self::Pochven,
            None => Self::from_security(security),
        }
    }

    fn by_id_range(id: u32) -> Option<Self> {
        if WORMHOLE_IDS.contains(&id) {
            Some(Self::Wormhole)
        } else if id >= FIRST_ABYSSAL_ID {
            Some(Self::Abyssal)
        } else {
            None
        }
    }
}

/// A security status as the game displays it: rounded to one decimal, halves
/// up (0.45 shows 0.5, -0.95 shows -0.9), except that any positive status
/// shows at least 0.1 (0.04 shows 0.1: such systems are low-sec; this is how
/// the client rounds, and the SDE's systems between 0.0 and 0.05 all lie in
/// empire low-sec regions such as Aridia and Placid). The result is a
/// multiple of 0.1 as close as an `f64` gets; NaN stays NaN.
#[must_use]
pub fn rounded_security(security: f64) -> f64 {
    // `+ 0.0` turns a -0.0 into 0.0.
    shown_tenths(security) / 10.0 + 0.0
}

/// The displayed security in tenths: a whole number (or NaN).
fn shown_tenths(security: f64) -> f64 {
    let tenths = (security * 10.0 + 0.5 + ROUNDING_SLACK_TENTHS).floor();
    if security > 0.0 {
        tenths.max(1.0)
    } else {
        tenths
    }
}

impl fmt::Display for SecurityClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecurityClass {
    type Err = ParseSecurityClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|class| class.as_str() == s)
            .ok_or_else(|| ParseSecurityClassError {
                value: s.to_owned(),
            })
    }
}

/// A string that names no [`SecurityClass`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseSecurityClassError {
    /// The rejected input.
    pub value: String,
}

impl fmt::Display for ParseSecurityClassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown security class {:?}, expected one of: ",
            self.value
        )?;
        for (index, class) in SecurityClass::ALL.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(class.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseSecurityClassError {}

#[cfg(test)]
mod tests {
    use super::{rounded_security, SecurityClass};

    #[test]
    fn rounding_matches_the_client() {
        for (sec, shown) in [
            (1.0, 1.0),
            (0.95, 1.0),
            (0.949, 0.9),
            (0.45, 0.5),
            (0.449_999, 0.4),
            (0.15, 0.2),
            (0.05, 0.1),
            (0.04, 0.1),
            (1e-12, 0.1),
            (0.0, 0.0),
            (-0.01, 0.0),
            (-0.05, 0.0),
            (-0.06, -0.1),
            (-0.95, -0.9),
            (-0.951, -1.0),
            (-1.0, -1.0),
        ] {
            let got = rounded_security(sec);
            assert!(
                (got - shown).abs() < 1e-12,
                "{sec} shows {got}, expected {shown}"
            );
        }
        assert!(rounded_security(f64::NAN).is_nan());
        assert!(rounded_security(-0.01).is_sign_positive());
    }

    #[test]
    fn names_round_trip() {
        for class in SecurityClass::ALL {
            assert_eq!(class.as_str().parse::<SecurityClass>(), Ok(class));
            assert_eq!(class.to_string(), class.as_str());
        }
    }

    #[test]
    fn bad_name_error_lists_valid_names() {
        let err = "highsec".parse::<SecurityClass>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown security class \"highsec\", expected one of: \
             high_sec, low_sec, null_sec, wormhole, pochven, abyssal"
        );
    }

    #[test]
    fn classification_order() {
        assert_eq!(
            SecurityClass::classify(31_000_005, 11_000_031, -0.99),
            SecurityClass::Wormhole
        );
        assert_eq!(
            SecurityClass::classify(32_000_001, 12_000_001, -0.99),
            SecurityClass::Abyssal
        );
        assert_eq!(
            SecurityClass::classify(30_000_021, 10_000_070, -1.0),
            SecurityClass::Pochven
        );
        assert_eq!(
            SecurityClass::classify(30_000_142, 10_000_002, 0.9459),
            SecurityClass::HighSec
        );
        assert_eq!(
            SecurityClass::from_security(f64::NAN),
            SecurityClass::NullSec
        );
    }
}
