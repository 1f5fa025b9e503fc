//! JSON Lines output: one ESI killmail (with its `zkb` object) per line.

use std::borrow::Borrow;
use std::io::{self, Write};

use battlescope_core::Killmail;

/// Write killmails as JSON Lines; returns how many were written.
///
/// Wrap `w` in a `BufWriter` for files: this writes each line separately.
///
/// # Errors
/// Any I/O error from `w` (serialising a [`Killmail`] itself cannot fail).
pub fn write_jsonl<W, I>(mut w: W, kills: I) -> io::Result<u64>
where
    W: Write,
    I: IntoIterator,
    I::Item: Borrow<Killmail>,
{
    let mut n = 0;
    for km in kills {
        serde_json::to_writer(&mut w, km.borrow()).map_err(io::Error::other)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// Killmails as one JSON Lines string.
#[must_use]
pub fn to_jsonl(kills: &[Killmail]) -> String {
    let mut buf = Vec::with_capacity(kills.len() * 1024);
    // Writing to a Vec cannot fail.
    let _ = write_jsonl(&mut buf, kills);
    String::from_utf8(buf).unwrap_or_default()
}
