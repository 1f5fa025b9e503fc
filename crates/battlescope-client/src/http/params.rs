//! What a call asks for: the battle list's filters ([`BattleFilter`]) and a
//! name search ([`SearchQuery`]), as query strings.
//!
//! The battle filters are held as a generated [`BattleSearch`] (the body of
//! `POST /api/search/battles`) without its text `q`: `GET /api/battles`
//! takes exactly those fields as parameters, under the same names, so the
//! query string is written from the type's own wire names and cannot drift
//! from them.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{BattleSearch, SearchHitKind, SecurityClass};

/// The filters of `GET /api/battles`, each optional, and the page asked for.
///
/// ```
/// use battlescope_client::{BattleFilter, SecurityClass};
/// let filter = BattleFilter::new()
///     .security(SecurityClass::NullSec)
///     .min_kills(10)
///     .limit(100);
/// assert_eq!(filter.as_search().min_kills, Some(10));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BattleFilter {
    /// The filters, and the page size when one the body can carry.
    search: BattleSearch,
    /// The page size as asked (the server refuses 0 or more than 500,
    /// naming `limit`).
    limit: Option<u32>,
    /// The page to start after, as the server gave it out.
    cursor: Option<String>,
}

impl BattleFilter {
    /// No filter: every battle, newest first, in pages of the server's
    /// default size (50).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Battles in this solar system.
    #[must_use]
    pub fn system(mut self, id: u32) -> Self {
        self.search.system = Some(id);
        self
    }

    /// Battles in this region.
    #[must_use]
    pub fn region(mut self, id: u32) -> Self {
        self.search.region = Some(id);
        self
    }

    /// Battles in this class of space.
    #[must_use]
    pub fn security(mut self, class: SecurityClass) -> Self {
        self.search.security = Some(class);
        self
    }

    /// Battles with this alliance on any killmail.
    #[must_use]
    pub fn alliance(mut self, id: u64) -> Self {
        self.search.alliance = Some(id);
        self
    }

    /// Battles with this corporation on any killmail.
    #[must_use]
    pub fn corporation(mut self, id: u64) -> Self {
        self.search.corporation = Some(id);
        self
    }

    /// Battles with this character on any killmail.
    #[must_use]
    pub fn character(mut self, id: u64) -> Self {
        self.search.character = Some(id);
        self
    }

    /// Battles still going at or after `time` (their last kill).
    #[must_use]
    pub fn since(mut self, time: DateTime<Utc>) -> Self {
        self.search.since = Some(time);
        self
    }

    /// Battles begun at or before `time` (their first kill).
    #[must_use]
    pub fn until(mut self, time: DateTime<Utc>) -> Self {
        self.search.until = Some(time);
        self
    }

    /// Battles of at least this many kills.
    #[must_use]
    pub fn min_kills(mut self, kills: u32) -> Self {
        self.search.min_kills = Some(kills);
        self
    }

    /// Battles that destroyed at least this much ISK.
    #[must_use]
    pub fn min_isk(mut self, isk: f64) -> Self {
        self.search.min_isk = Some(isk);
        self
    }

    /// Battles per page: 1 to 500 (the server refuses others, naming
    /// `limit`).
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self.search.limit = std::num::NonZeroU32::new(limit);
        self
    }

    /// Start after the page whose `nextCursor` this is.
    #[must_use]
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// The filters as the battle search's body (with no text, and without
    /// the page position: see [`BattleFilter::page_cursor`]).
    #[must_use]
    pub fn as_search(&self) -> &BattleSearch {
        &self.search
    }

    /// The `nextCursor` this filter starts after, if any.
    #[must_use]
    pub fn page_cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// The same filters with a text query, for
    /// [`super::Client::search_battles`].
    ///
    /// # Errors
    /// A blank text, or one longer than the server takes (200 characters).
    pub fn with_text(
        self,
        q: impl Into<String>,
    ) -> Result<BattleSearch, crate::error::ConversionError> {
        Ok(BattleSearch {
            q: Some(crate::BattleSearchQ::try_from(q.into())?),
            ..self.search
        })
    }

    pub(super) fn set_cursor(&mut self, cursor: Option<String>) {
        self.cursor = cursor;
    }

    /// `(name, value)` for each filter set, named as the body's fields.
    pub(super) fn query_pairs(&self) -> Vec<(String, String)> {
        let search = BattleSearch {
            limit: None,
            cursor: None,
            ..self.search.clone()
        };
        let Ok(Value::Object(fields)) = serde_json::to_value(&search) else {
            unreachable!("a BattleSearch serialises to an object");
        };
        let page = [
            self.limit.map(|l| ("limit".to_owned(), Value::from(l))),
            self.cursor
                .clone()
                .map(|c| ("cursor".to_owned(), Value::String(c))),
        ];
        fields
            .into_iter()
            .chain(page.into_iter().flatten())
            .filter_map(|(name, value)| {
                let value = match value {
                    Value::Null => return None,
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((name, value))
            })
            .collect()
    }
}

/// What `GET /api/search` looks for: a text (at most 200 characters), the
/// kinds of hits (all when none), and how many hits (1 to 100, 10 by
/// default).
///
/// ```
/// use battlescope_client::{SearchHitKind, SearchQuery};
/// let query = SearchQuery::new("goonswarm").kinds([SearchHitKind::Alliance]).limit(5);
/// # let _ = query;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    q: String,
    kinds: Vec<SearchHitKind>,
    limit: Option<u32>,
}

impl SearchQuery {
    /// Hits of every kind for `q`.
    #[must_use]
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            kinds: Vec::new(),
            limit: None,
        }
    }

    /// Only hits of these kinds.
    #[must_use]
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = SearchHitKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// At most this many hits.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    pub(super) fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![("q".to_owned(), self.q.clone())];
        if !self.kinds.is_empty() {
            let kinds: Vec<String> = self.kinds.iter().map(ToString::to_string).collect();
            pairs.push(("kinds".to_owned(), kinds.join(",")));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit".to_owned(), limit.to_string()));
        }
        pairs
    }
}

impl From<&str> for SearchQuery {
    fn from(q: &str) -> Self {
        Self::new(q)
    }
}

impl From<String> for SearchQuery {
    fn from(q: String) -> Self {
        Self::new(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_is_a_parameter_named_as_the_body_field() {
        let since = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let filter = BattleFilter::new()
            .system(30_000_142)
            .region(10_000_002)
            .security(SecurityClass::HighSec)
            .alliance(1)
            .corporation(2)
            .character(3)
            .since(since)
            .until(since + chrono::Duration::days(1))
            .min_kills(5)
            .min_isk(1e9)
            .limit(10)
            .cursor("1704067200_6a8f4c62-0d0e-5b8e-9a8e-7b0c8e2f0a11");
        let mut pairs = filter.query_pairs();
        pairs.sort();
        let expected = [
            ("alliance", "1"),
            ("character", "3"),
            ("corporation", "2"),
            ("cursor", "1704067200_6a8f4c62-0d0e-5b8e-9a8e-7b0c8e2f0a11"),
            ("limit", "10"),
            ("minIsk", "1000000000.0"),
            ("minKills", "5"),
            ("region", "10000002"),
            ("security", "high_sec"),
            ("since", "2024-01-01T00:00:00Z"),
            ("system", "30000142"),
            ("until", "2024-01-02T00:00:00Z"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs, expected);
        assert!(BattleFilter::new().query_pairs().is_empty());
        assert!(filter.clone().with_text("   ").is_err(), "blank text");
        let search = filter.with_text("jita").unwrap();
        assert_eq!(search.q.as_deref().map(String::as_str), Some("jita"));
        assert_eq!(search.system, Some(30_000_142));
        assert_eq!(search.limit.map(std::num::NonZeroU32::get), Some(10));
    }

    #[test]
    fn a_search_lists_its_kinds_comma_separated() {
        let q = SearchQuery::new("a b")
            .kinds([SearchHitKind::Battle, SearchHitKind::System])
            .limit(3);
        assert_eq!(
            q.query_pairs(),
            [
                ("q".to_owned(), "a b".to_owned()),
                ("kinds".to_owned(), "battle,system".to_owned()),
                ("limit".to_owned(), "3".to_owned()),
            ]
        );
        assert_eq!(SearchQuery::from("x").query_pairs().len(), 1);
    }
}
