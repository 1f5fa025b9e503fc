//! The crate's one error type.
//!
//! Every error names the record it is about ([`RecordLoc`]: source, position
//! and killmail id when known) and, where it applies, the field and what was
//! wrong with it, so a user can find and fix the input.

use std::fmt;

/// Where a record came from: enough to find it again in the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordLoc {
    /// File name, URL or other label of the input; `None` for in-memory input.
    pub source: Option<String>,
    /// Where the record is inside the source.
    pub position: RecordPosition,
    /// The killmail id, when it could be read.
    pub killmail_id: Option<u64>,
}

/// Where a record sits inside its source (line, element, archive entry).
/// Not to be confused with [`killmail::Position`](crate::killmail::Position),
/// a place in space.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RecordPosition {
    /// The source is one record.
    #[default]
    Whole,
    /// 1-based line of a JSON Lines input.
    Line(u64),
    /// 0-based element of a JSON array.
    Element(u64),
    /// Member of an archive.
    Entry(String),
}

impl RecordLoc {
    /// A record in a named source.
    #[must_use]
    pub fn new(source: Option<&str>, position: RecordPosition) -> Self {
        Self {
            source: source.map(str::to_owned),
            position,
            killmail_id: None,
        }
    }

    /// The same location, now knowing the killmail id.
    #[must_use]
    pub fn with_killmail(mut self, id: u64) -> Self {
        self.killmail_id = Some(id);
        self
    }
}

impl fmt::Display for RecordLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(id) = self.killmail_id {
            write!(f, "killmail {id}")?;
            wrote = true;
        }
        let place = match &self.position {
            RecordPosition::Whole => None,
            RecordPosition::Line(n) => Some(format!("line {n}")),
            RecordPosition::Element(n) => Some(format!("element {n}")),
            RecordPosition::Entry(name) => Some(format!("entry {name}")),
        };
        match (&self.source, place) {
            (Some(src), Some(place)) => {
                write!(f, "{}{src} {place}", if wrote { " at " } else { "" })
            }
            (Some(src), None) => write!(f, "{}{src}", if wrote { " in " } else { "" }),
            (None, Some(place)) => write!(f, "{}{place}", if wrote { " at " } else { "" }),
            (None, None) if !wrote => f.write_str("record"),
            (None, None) => Ok(()),
        }
    }
}

/// Longest quoted value an error message repeats whole.
const MAX_QUOTED: usize = 64;

/// Cut every quoted value (`"…"` or `` `…` ``) longer than a few dozen
/// characters down to a prefix and its length: a field holding megabytes
/// of text must not be echoed whole into every skip message and log line.
#[must_use]
pub fn shorten_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find(quote) else {
            // No closing quote: the message itself was cut; treat the rest
            // as the value.
            push_value(&mut out, rest);
            return out;
        };
        push_value(&mut out, &rest[..close]);
        out.push(quote);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn push_value(out: &mut String, value: &str) {
    if value.chars().count() <= MAX_QUOTED {
        out.push_str(value);
        return;
    }
    let cut: String = value.chars().take(MAX_QUOTED / 2).collect();
    out.push_str(&cut);
    out.push_str(&format!("… ({} bytes)", value.len()));
}

/// A field path without its array indices: `attackers[3].x` → `attackers[].x`.
fn without_indices(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Errors of `battlescope-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON (syntax, truncation); `path` is where the
    /// parser stopped. JSON with a wrong or missing field is [`Error::Invalid`].
    #[error("{record}: {path}: {message}")]
    Json {
        /// Where the record is.
        record: RecordLoc,
        /// Field path such as `attackers[3].final_blow`, or `.` for the root.
        path: String,
        /// What serde said.
        message: String,
    },
    /// Well-formed, but a value breaks a rule (id ≤ 0, absurd date, …).
    #[error("{record}: field `{field}` {reason}")]
    Invalid {
        /// Where the record is.
        record: RecordLoc,
        /// The field, as a path (`victim.ship_type_id`).
        field: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// The record is JSON but none of the known killmail shapes.
    #[error("{record}: not a killmail record: {reason}")]
    Shape {
        /// Where the record is.
        record: RecordLoc,
        /// Why it is no killmail.
        reason: String,
    },
    /// A record larger than the reader's limit; it is skipped unread.
    #[error("{record}: record is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Where the record is.
        record: RecordLoc,
        /// Its size in bytes.
        size: u64,
        /// The reader's limit in bytes.
        limit: u64,
    },
    /// Reading the source failed.
    #[error("{source_name}: {context}: {source}")]
    Io {
        /// The input (file name, URL, label).
        source_name: String,
        /// What was being done (`opening`, `reading entry x`, …).
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A whole input could not be read as the chosen or detected format.
    #[error("{source_name}: {reason}")]
    Format {
        /// The input (file name, URL, label).
        source_name: String,
        /// Why it cannot be read as its format.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration: `{field}` {reason}")]
    Config {
        /// The setting, as the user wrote it.
        field: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// A bus event that cannot be built or read: an unknown `eventType` or
    /// `version`, a battle document that does not match its clusterer
    /// change, bytes that are not an event.
    #[error("{event}: {reason}")]
    Event {
        /// Which event: `battle.created of battle <id>`, `event JSON`, …
        event: String,
        /// The offending field (`eventType`, `version`, `killmailIds`, …).
        field: String,
        /// What is wrong, naming the field.
        reason: String,
    },
}

impl Error {
    /// The record the error is about, when it is about one record.
    #[must_use]
    pub fn record(&self) -> Option<&RecordLoc> {
        match self {
            Self::Json { record, .. }
            | Self::Invalid { record, .. }
            | Self::Shape { record, .. }
            | Self::TooLarge { record, .. } => Some(record),
            Self::Io { .. } | Self::Format { .. } | Self::Config { .. } | Self::Event { .. } => {
                None
            }
        }
    }

    /// [`Error::record`], to edit (e.g. to renumber its position).
    pub fn record_mut(&mut self) -> Option<&mut RecordLoc> {
        match self {
            Self::Json { record, .. }
            | Self::Invalid { record, .. }
            | Self::Shape { record, .. }
            | Self::TooLarge { record, .. } => Some(record),
            Self::Io { .. } | Self::Format { .. } | Self::Config { .. } | Self::Event { .. } => {
                None
            }
        }
    }

    /// The input the error is about (file, archive, stream), when known.
    #[must_use]
    pub fn source_name(&self) -> Option<&str> {
        match self {
            Self::Io { source_name, .. } | Self::Format { source_name, .. } => Some(source_name),
            _ => self.record().and_then(|r| r.source.as_deref()),
        }
    }

    /// The kind of error, in the one vocabulary every binding maps to its
    /// own exceptions or codes: `json` (not JSON, or the wrong type at a
    /// field), `invalid` (a value breaks a rule), `shape` (no killmail
    /// shape), `too_large`, `io`, `format` (a whole input unreadable as
    /// its format), `config` (a setting), `event` (a bus event).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Json { .. } => "json",
            Self::Invalid { .. } => "invalid",
            Self::Shape { .. } => "shape",
            Self::TooLarge { .. } => "too_large",
            Self::Io { .. } => "io",
            Self::Format { .. } => "format",
            Self::Config { .. } => "config",
            Self::Event { .. } => "event",
        }
    }

    /// The offending field, when known.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Json { path, .. } => Some(path),
            Self::Invalid { field, .. }
            | Self::Config { field, .. }
            | Self::Event { field, .. } => Some(field),
            _ => None,
        }
    }

    /// A short, stable key used to count skipped records by reason
    /// (`invalid_json`, `invalid:<field>`, `not_a_killmail`, `too_large`, …).
    #[must_use]
    pub fn reason_key(&self) -> String {
        match self {
            Self::Json { .. } => "invalid_json".to_owned(),
            // Indices out (`attackers[3].final_blow` → `attackers[].final_blow`):
            // one key per field, not per attacker.
            Self::Invalid { field, .. } => format!("invalid:{}", without_indices(field)),
            Self::Shape { .. } => "not_a_killmail".to_owned(),
            Self::TooLarge { .. } => "too_large".to_owned(),
            Self::Io { .. } => "io".to_owned(),
            Self::Format { .. } => "format".to_owned(),
            Self::Config { .. } => "config".to_owned(),
            Self::Event { .. } => "event".to_owned(),
        }
    }

    /// An [`Error::Event`].
    pub(crate) fn event(
        event: impl Into<String>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::Event {
            event: event.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Config`].
    pub(crate) fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The message without its location prefix: what a serde error inside
    /// a larger document repeats (serde adds the path itself).
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Config { reason, .. } | Self::Event { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_naturally() {
        let loc = RecordLoc::new(Some("a.jsonl"), RecordPosition::Line(4));
        assert_eq!(loc.to_string(), "a.jsonl line 4");
        assert_eq!(
            loc.clone().with_killmail(7).to_string(),
            "killmail 7 at a.jsonl line 4"
        );
        assert_eq!(RecordLoc::default().to_string(), "record");
        assert_eq!(
            RecordLoc::default().with_killmail(9).to_string(),
            "killmail 9"
        );
        let e = Error::Invalid {
            record: loc.with_killmail(7),
            field: "killmail_id".into(),
            reason: "must be > 0".into(),
        };
        assert_eq!(
            e.to_string(),
            "killmail 7 at a.jsonl line 4: field `killmail_id` must be > 0"
        );
        assert_eq!(e.reason_key(), "invalid:killmail_id");
    }
}
