//! One JSON record → a [`Record`], for every record shape zKillboard and ESI
//! serve.
//!
//! The record is deserialised once into a struct holding every top-level key
//! any shape uses, then classified by which keys are present:
//! `package` → RedisQ, `esi` → R2Z2, `killmail_time` → ESI,
//! `killmail_id` + `zkb` → zKillboard API row. Fast path: plain `serde_json`;
//! only when that fails is the record parsed again with
//! `serde_path_to_error` to name the offending field.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::format::Shape;
use crate::error::{shorten_values, Error, RecordLoc};
use crate::killmail::{validate, Attacker, Killmail, Limits, Victim, ZkbMeta};

/// What one record holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A full killmail (with zKillboard metadata when the source had it).
    Killmail(Box<Killmail>),
    /// A killmail known by id and hash only; fetch it from ESI.
    Reference(KillmailRef),
    /// RedisQ's `{"package": null}`: nothing new yet.
    Empty,
}

/// A killmail known by id and hash (a zKillboard API row): what ESI needs
/// to serve the full killmail at `/killmails/{killmail_id}/{hash}/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillmailRef {
    /// The killmail's id.
    pub killmail_id: u64,
    /// ESI's hash of the killmail.
    pub hash: String,
    /// zKillboard's metadata.
    pub zkb: ZkbMeta,
}

/// Every top-level key of every shape; absent keys stay `None`.
#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    killmail_id: Option<u64>,
    #[serde(default)]
    killmail_time: Option<DateTime<Utc>>,
    #[serde(default)]
    solar_system_id: Option<u32>,
    #[serde(default)]
    moon_id: Option<u64>,
    #[serde(default)]
    war_id: Option<u64>,
    #[serde(default)]
    victim: Option<Victim>,
    #[serde(default)]
    attackers: Option<Vec<Attacker>>,
    #[serde(default)]
    zkb: Option<ZkbMeta>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    esi: Option<Killmail>,
    #[serde(default, deserialize_with = "present")]
    package: Option<Option<RedisQPackage>>,
}

#[derive(Deserialize)]
struct RedisQPackage {
    #[serde(rename = "killID")]
    kill_id: u64,
    /// Absent in the newer zkb-only packages: the killmail is then fetched
    /// from ESI with `zkb.hash`.
    #[serde(default)]
    killmail: Option<Killmail>,
    zkb: ZkbMeta,
}

/// Fill `zkb.hash` from the record's top level when the object lacks it.
fn with_hash(mut zkb: ZkbMeta, hash: Option<String>) -> ZkbMeta {
    if zkb.hash.is_none() {
        zkb.hash = hash;
    }
    zkb
}

/// Distinguishes a key that is present with `null` (`Some(None)`) from an
/// absent key (`None`, via `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Parse one JSON record of the given shape (or detect it), validating any
/// killmail against `limits`.
///
/// # Errors
/// [`Error::Json`] for malformed JSON, [`Error::Shape`] for JSON that is
/// no killmail record (not an object, or not the chosen shape),
/// [`Error::Invalid`] naming the field for a missing field, a wrong type or
/// a value that breaks a validation rule.
pub fn parse_record(
    bytes: &[u8],
    shape: Shape,
    limits: &Limits,
    loc: &RecordLoc,
) -> Result<Record, Error> {
    let raw: RawRecord = from_slice(bytes, loc)?;
    let found = classify(&raw);
    let Some(found) = found else {
        return Err(Error::Shape {
            record: loc_with_id(loc, raw.killmail_id),
            reason: "expected an ESI killmail (`killmail_time`), an R2Z2 item (`esi`), \
                     a RedisQ package (`package`) or a zKillboard API row \
                     (`killmail_id` and `zkb`)"
                .to_owned(),
        });
    };
    if shape != Shape::Auto && shape != found {
        return Err(Error::Shape {
            record: loc_with_id(loc, raw.killmail_id),
            reason: format!("expected a {shape} record, found a {found} record"),
        });
    }
    let record = match found {
        Shape::RedisQ => from_redisq(raw, loc)?,
        Shape::R2z2 => from_r2z2(raw, loc)?,
        Shape::Esi => from_esi(raw, loc)?,
        Shape::ZkbApi | Shape::Auto => from_zkb_row(raw, loc)?,
    };
    if let Record::Killmail(km) = &record {
        validate(km, limits, &loc_with_id(loc, Some(km.killmail_id)))?;
    }
    Ok(record)
}

/// Parse zKillboard R2Z2's `sequence.json` (`{"sequence": N}`): the newest
/// sequence number, whose item lives at `<base>/<N>.json`.
///
/// # Errors
/// [`Error::Json`] when the document is not of that shape.
pub fn parse_r2z2_sequence(bytes: &[u8]) -> Result<u64, Error> {
    #[derive(Deserialize)]
    struct Sequence {
        sequence: u64,
    }
    let loc = RecordLoc::new(Some("sequence.json"), crate::error::RecordPosition::Whole);
    from_slice::<Sequence>(bytes, &loc).map(|s| s.sequence)
}

fn classify(raw: &RawRecord) -> Option<Shape> {
    if raw.package.is_some() {
        Some(Shape::RedisQ)
    } else if raw.esi.is_some() {
        Some(Shape::R2z2)
    } else if raw.killmail_time.is_some() || raw.victim.is_some() || raw.attackers.is_some() {
        Some(Shape::Esi)
    } else if raw.killmail_id.is_some() && raw.zkb.is_some() {
        Some(Shape::ZkbApi)
    } else {
        None
    }
}

fn loc_with_id(loc: &RecordLoc, id: Option<u64>) -> RecordLoc {
    match id {
        Some(id) => loc.clone().with_killmail(id),
        None => loc.clone(),
    }
}

fn missing(loc: &RecordLoc, path: &str) -> Error {
    Error::Invalid {
        record: loc.clone(),
        field: path.to_owned(),
        reason: "is missing".to_owned(),
    }
}

/// A record that is JSON but not what a killmail field holds (a missing
/// field, a wrong type, a value out of range) is an [`Error::Invalid`] of
/// that field (its reason key `invalid:<field>`), not invalid JSON.
/// Serde's wording is kept but for Rust type names and the line/column
/// inside the record, which say nothing to someone holding a dict.
fn data_error(loc: RecordLoc, path: &str, inner: &serde_json::Error) -> Error {
    let message = inner.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) if inner.line() > 0 => message[..at].to_owned(),
        _ => message,
    };
    let parent = if path == "." { "" } else { path };
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        };
        return missing(&loc, &field);
    }
    let message = plain_type_names(&message);
    Error::Invalid {
        record: loc,
        field: parent.to_owned(),
        reason: shorten_values(&message),
    }
}

/// `expected struct Victim` → `expected an object`; `expected u64` → `expected
/// a non-negative integer`: serde names the Rust types it wanted.
fn plain_type_names(message: &str) -> String {
    let Some(at) = message.find("expected ") else {
        return message.to_owned();
    };
    let (head, wanted) = message.split_at(at + "expected ".len());
    let plain = if wanted.starts_with("struct ") || wanted.starts_with("a map") {
        "a JSON object"
    } else if wanted.starts_with("u8")
        || wanted.starts_with("u16")
        || wanted.starts_with("u32")
        || wanted.starts_with("u64")
    {
        "a non-negative integer"
    } else if wanted.starts_with("i32") || wanted.starts_with("i64") {
        "an integer"
    } else if wanted.starts_with("f64") || wanted.starts_with("f32") {
        "a number"
    } else if wanted.starts_with("a boolean") || wanted.starts_with("bool") {
        "true or false"
    } else {
        return message.to_owned();
    };
    format!("{head}{plain}")
}

fn from_esi(raw: RawRecord, loc: &RecordLoc) -> Result<Record, Error> {
    let loc = loc_with_id(loc, raw.killmail_id);
    let km = Killmail {
        killmail_id: raw
            .killmail_id
            .ok_or_else(|| missing(&loc, "killmail_id"))?,
        killmail_time: raw
            .killmail_time
            .ok_or_else(|| missing(&loc, "killmail_time"))?,
        solar_system_id: raw
            .solar_system_id
            .ok_or_else(|| missing(&loc, "solar_system_id"))?,
        moon_id: raw.moon_id,
        war_id: raw.war_id,
        victim: raw.victim.ok_or_else(|| missing(&loc, "victim"))?,
        attackers: raw.attackers.ok_or_else(|| missing(&loc, "attackers"))?,
        zkb: raw.zkb.map(|z| with_hash(z, raw.hash)),
    };
    Ok(Record::Killmail(Box::new(km)))
}

fn from_r2z2(raw: RawRecord, loc: &RecordLoc) -> Result<Record, Error> {
    let Some(mut km) = raw.esi else {
        return Err(missing(loc, "esi"));
    };
    let loc = loc_with_id(loc, Some(km.killmail_id));
    if let Some(top) = raw.killmail_id {
        if top != km.killmail_id {
            return Err(Error::Invalid {
                record: loc,
                field: "killmail_id".to_owned(),
                reason: format!("is {top} but `esi.killmail_id` is {}", km.killmail_id),
            });
        }
    }
    let zkb = raw.zkb.ok_or_else(|| missing(&loc, "zkb"))?;
    km.zkb = Some(with_hash(zkb, raw.hash));
    Ok(Record::Killmail(Box::new(km)))
}

fn from_redisq(raw: RawRecord, loc: &RecordLoc) -> Result<Record, Error> {
    let Some(Some(package)) = raw.package else {
        return Ok(Record::Empty);
    };
    let loc = loc_with_id(loc, Some(package.kill_id));
    let Some(mut km) = package.killmail else {
        return reference(package.kill_id, package.zkb, &loc, "package.zkb.hash");
    };
    if package.kill_id != km.killmail_id {
        return Err(Error::Invalid {
            record: loc,
            field: "package.killID".to_owned(),
            reason: format!(
                "is {} but `package.killmail.killmail_id` is {}",
                package.kill_id, km.killmail_id
            ),
        });
    }
    km.zkb = Some(package.zkb);
    Ok(Record::Killmail(Box::new(km)))
}

fn from_zkb_row(raw: RawRecord, loc: &RecordLoc) -> Result<Record, Error> {
    let loc = loc_with_id(loc, raw.killmail_id);
    let killmail_id = raw
        .killmail_id
        .ok_or_else(|| missing(&loc, "killmail_id"))?;
    let zkb = with_hash(raw.zkb.ok_or_else(|| missing(&loc, "zkb"))?, raw.hash);
    reference(killmail_id, zkb, &loc, "zkb.hash")
}

/// A reference: a positive id and a hexadecimal hash, or an error naming
/// `hash_field`.
fn reference(
    killmail_id: u64,
    zkb: ZkbMeta,
    loc: &RecordLoc,
    hash_field: &str,
) -> Result<Record, Error> {
    if killmail_id == 0 {
        return Err(Error::Invalid {
            record: loc.clone(),
            field: "killmail_id".to_owned(),
            reason: "must be > 0, got 0".to_owned(),
        });
    }
    let Some(hash) = zkb.hash.clone() else {
        return Err(missing(loc, hash_field));
    };
    if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Invalid {
            record: loc.clone(),
            field: hash_field.to_owned(),
            reason: format!("`{hash}` is not a hexadecimal killmail hash"),
        });
    }
    Ok(Record::Reference(KillmailRef {
        killmail_id,
        hash,
        zkb,
    }))
}

/// Deserialise fast; on failure, parse again tracking the path so the
/// error names the field.
fn from_slice<T: DeserializeOwned>(bytes: &[u8], loc: &RecordLoc) -> Result<T, Error> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e)
            if e.classify() == serde_json::error::Category::Data
                && bytes.trim_ascii_start().first() != Some(&b'{') =>
        {
            // JSON, but not an object: no record at all.
            Err(Error::Shape {
                record: loc.clone(),
                reason: "a killmail record is a JSON object; this is another JSON value".to_owned(),
            })
        }
        Err(_) => {
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, T>(&mut *de) {
                Ok(v) => match de.end() {
                    Ok(()) => Ok(v),
                    Err(e) => Err(Error::Json {
                        record: loc_with_id(loc, sniff_killmail_id(bytes)),
                        path: ".".to_owned(),
                        message: shorten_values(&e.to_string()),
                    }),
                },
                Err(e) => {
                    let path = e.path().to_string();
                    let inner = e.into_inner();
                    if inner.classify() == serde_json::error::Category::Data
                        && bytes.trim_ascii_start().first() == Some(&b'{')
                    {
                        return Err(data_error(
                            loc_with_id(loc, sniff_killmail_id(bytes)),
                            &path,
                            &inner,
                        ));
                    }
                    Err(Error::Json {
                        record: loc_with_id(loc, sniff_killmail_id(bytes)),
                        path,
                        message: shorten_values(&inner.to_string()),
                    })
                }
            }
        }
    }
}

/// Best-effort killmail id of a record that failed to parse, for the error.
fn sniff_killmail_id(bytes: &[u8]) -> Option<u64> {
    for key in [&b"\"killmail_id\""[..], &b"\"killID\""[..]] {
        if let Some(at) = bytes.windows(key.len()).position(|w| w == key) {
            let rest = &bytes[at + key.len()..];
            let rest = rest
                .iter()
                .skip_while(|b| b.is_ascii_whitespace() || **b == b':')
                .take_while(|b| b.is_ascii_digit())
                .map(|b| char::from(*b))
                .collect::<String>();
            if let Ok(id) = rest.parse() {
                return Some(id);
            }
        }
    }
    None
}
