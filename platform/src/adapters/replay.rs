//! File replay: every input core reads (JSON Lines, JSON arrays, single
//! documents, daily `.tar.bz2` archives; directories searched for them),
//! record by record, as fast as possible or paced by killmail time.
//!
//! Files are read on a blocking thread and handed over in chunks through a
//! bounded channel, so a slow pipeline slows the reading instead of
//! filling memory. JSON Lines records reach ingest as their raw bytes;
//! other containers are split by core's reader and each record re-encoded
//! as JSON (a record core cannot cut out arrives as
//! [`RawPayload::Unreadable`] with core's message).
//!
//! Cursor: `{"file": PATH, "record": N}` — resume after record N of that
//! file (for JSON Lines, N is the line number).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use battlescope_core::input::{for_each_record, Container, Format, ReadOptions, Record};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::ports::source::{
    KillmailSource, RawPayload, SourceCursor, SourceError, SourcePoll, SourceRecord,
};

const NAME: &str = "replay";
/// Records per chunk sent from the reading thread.
const CHUNK: usize = 512;
/// Largest JSON Lines record accepted (as core's reader).
const MAX_RECORD_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Cursor {
    file: String,
    record: u64,
}

/// The file replay source.
#[derive(Debug)]
pub struct ReplaySource {
    files: Vec<PathBuf>,
    /// Killmail-time seconds per wall second; `None`: as fast as possible.
    speed: Option<f64>,
    start: Option<Cursor>,
    rx: Option<mpsc::Receiver<Chunk>>,
    /// Records received but not yet handed out (a poll asked for fewer).
    pending: std::collections::VecDeque<SourceRecord>,
    /// A failure received behind records: reported once they are out.
    failed: Option<String>,
}

enum Chunk {
    Records(Vec<SourceRecord>),
    Failed(String),
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Records(r) => write!(f, "Records({})", r.len()),
            Self::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

impl ReplaySource {
    /// Replay `files` (already expanded: directories resolved, in order).
    #[must_use]
    pub fn new(files: Vec<PathBuf>, speed: Option<f64>) -> Self {
        Self {
            files,
            speed: speed.filter(|s| *s > 0.0 && s.is_finite()),
            start: None,
            rx: None,
            pending: std::collections::VecDeque::new(),
            failed: None,
        }
    }

    fn spawn(&mut self) -> mpsc::Receiver<Chunk> {
        let (tx, rx) = mpsc::channel(8);
        let files = self.files.clone();
        let start = self.start.clone();
        let speed = self.speed;
        std::thread::spawn(move || read_files(&files, start.as_ref(), speed, &tx));
        rx
    }
}

#[async_trait]
impl KillmailSource for ReplaySource {
    fn name(&self) -> &str {
        NAME
    }

    async fn resume(&mut self, cursor: &SourceCursor) -> Result<(), SourceError> {
        let bad = |reason: String| SourceError::BadCursor {
            source_name: NAME.to_owned(),
            cursor: cursor.0.clone(),
            reason,
        };
        let parsed: Cursor = serde_json::from_str(&cursor.0).map_err(|e| bad(e.to_string()))?;
        if !self
            .files
            .iter()
            .any(|f| f.display().to_string() == parsed.file)
        {
            return Err(bad(format!(
                "{} is not among the replayed files",
                parsed.file
            )));
        }
        self.start = Some(parsed);
        Ok(())
    }

    async fn poll(&mut self, max: usize) -> Result<SourcePoll, SourceError> {
        let max = max.max(1);
        if self.pending.is_empty() {
            if let Some(reason) = self.failed.take() {
                return Err(SourceError::Unavailable {
                    source_name: NAME.to_owned(),
                    reason,
                });
            }
            if self.rx.is_none() {
                self.rx = Some(self.spawn());
            }
            let rx = self.rx.as_mut().expect("spawned above");
            match rx.recv().await {
                Some(Chunk::Records(records)) => self.pending.extend(records),
                Some(Chunk::Failed(reason)) => {
                    return Err(SourceError::Unavailable {
                        source_name: NAME.to_owned(),
                        reason,
                    })
                }
                None => return Ok(SourcePoll::Exhausted),
            }
            // More chunks already read join this poll: a consumer that
            // fell behind catches up in one batch instead of many.
            while self.pending.len() < max {
                match rx.try_recv() {
                    Ok(Chunk::Records(records)) => self.pending.extend(records),
                    Ok(Chunk::Failed(reason)) => {
                        self.failed = Some(reason);
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        let n = max.min(self.pending.len());
        Ok(SourcePoll::Records(self.pending.drain(..n).collect()))
    }
}

/// Paces records by killmail time when a speed is set.
struct Pacer {
    speed: Option<f64>,
    /// Killmail time and wall clock of the first paced record.
    origin: Option<(i64, Instant)>,
}

impl Pacer {
    /// Wait until the record is due; what `out` holds is sent first, so
    /// no record waits for a chunk to fill behind a sleep.
    fn wait(&mut self, bytes: &[u8], out: &mut Sender<'_>) {
        let Some(t) = self.speed.and_then(|_| killmail_time(bytes)) else {
            return;
        };
        let now = Instant::now();
        let due = self.due(t, now);
        if due > now {
            out.flush();
            std::thread::sleep(due - now);
        }
    }

    /// When a record of killmail time `t` is due: as far after the first
    /// record as its time is, divided by the speed; records older than the
    /// first are due at once.
    fn due(&mut self, t: i64, now: Instant) -> Instant {
        let Some(speed) = self.speed else { return now };
        let (t0, w0) = *self.origin.get_or_insert((t, now));
        #[allow(clippy::cast_precision_loss)]
        let offset = Duration::from_secs_f64(((t - t0).max(0) as f64) / speed);
        w0 + offset
    }
}

/// The killmail time of a record of any shape, cheaply enough for pacing.
fn killmail_time(bytes: &[u8]) -> Option<i64> {
    #[derive(Deserialize)]
    struct Time {
        killmail_time: Option<chrono::DateTime<chrono::Utc>>,
    }
    #[derive(Deserialize)]
    struct Any {
        killmail_time: Option<chrono::DateTime<chrono::Utc>>,
        esi: Option<Time>,
        package: Option<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        killmail: Option<Time>,
    }
    let any: Any = serde_json::from_slice(bytes).ok()?;
    any.killmail_time
        .or_else(|| any.esi.and_then(|e| e.killmail_time))
        .or_else(|| {
            any.package
                .and_then(|p| p.killmail)
                .and_then(|k| k.killmail_time)
        })
        .map(|t| t.timestamp())
}

/// Sends chunks; false once the receiver is gone (the source was dropped).
struct Sender<'a> {
    tx: &'a mpsc::Sender<Chunk>,
    buf: Vec<SourceRecord>,
    open: bool,
}

impl Sender<'_> {
    fn push(&mut self, record: SourceRecord) {
        self.buf.push(record);
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() && self.open {
            let chunk = Chunk::Records(std::mem::take(&mut self.buf));
            self.open = self.tx.blocking_send(chunk).is_ok();
        }
    }
}

fn read_files(
    files: &[PathBuf],
    start: Option<&Cursor>,
    speed: Option<f64>,
    tx: &mpsc::Sender<Chunk>,
) {
    let mut out = Sender {
        tx,
        buf: Vec::with_capacity(CHUNK),
        open: true,
    };
    let mut pacer = Pacer {
        speed,
        origin: None,
    };
    let first = start.map_or(0, |c| {
        files
            .iter()
            .position(|f| f.display().to_string() == c.file)
            .unwrap_or(0)
    });
    for (i, path) in files.iter().enumerate().skip(first) {
        let skip = if i == first {
            start.map_or(0, |c| c.record)
        } else {
            0
        };
        let name = path.display().to_string();
        let lines = Format::container_from_name(&name) == Some(Container::Lines);
        let result = if lines {
            read_lines(path, &name, skip, &mut out, &mut pacer)
        } else {
            read_other(path, &name, skip, &mut out, &mut pacer)
        };
        if let Err(reason) = result {
            out.flush();
            let _ = tx.blocking_send(Chunk::Failed(reason));
            return;
        }
        if !out.open {
            return;
        }
    }
    out.flush();
}

fn cursor(file: &str, record: u64) -> SourceCursor {
    let c = Cursor {
        file: file.to_owned(),
        record,
    };
    SourceCursor(serde_json::to_string(&c).unwrap_or_default())
}

fn read_lines(
    path: &PathBuf,
    name: &str,
    skip: u64,
    out: &mut Sender<'_>,
    pacer: &mut Pacer,
) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{name}: cannot open: {e}"))?;
    let mut reader = BufReader::with_capacity(256 << 10, file);
    let mut line = Vec::new();
    let mut n = 0u64;
    while out.open {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{name}: cannot read: {e}"))?;
        if read == 0 {
            break;
        }
        n += 1;
        if n <= skip || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        while line.last().is_some_and(u8::is_ascii_whitespace) {
            line.pop();
        }
        let payload = if line.len() > MAX_RECORD_BYTES {
            RawPayload::Unreadable(format!(
                "record is {} bytes, over the {MAX_RECORD_BYTES}-byte limit",
                line.len()
            ))
        } else {
            pacer.wait(&line, out);
            RawPayload::Json(line.clone())
        };
        out.push(SourceRecord {
            position: format!("{name} line {n}"),
            cursor: cursor(name, n),
            payload,
            received_at_ms: chrono::Utc::now().timestamp_millis(),
        });
    }
    Ok(())
}

fn read_other(
    path: &PathBuf,
    name: &str,
    skip: u64,
    out: &mut Sender<'_>,
    pacer: &mut Pacer,
) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{name}: cannot open: {e}"))?;
    let mut n = 0u64;
    let options = ReadOptions::default();
    for_each_record(file, Some(name), &options, |result| {
        n += 1;
        if n <= skip || !out.open {
            return;
        }
        let payload = match result {
            Ok(Record::Killmail(km)) => match serde_json::to_vec(&*km) {
                Ok(bytes) => RawPayload::Json(bytes),
                Err(e) => RawPayload::Unreadable(e.to_string()),
            },
            Ok(Record::Reference(r)) => {
                let mut zkb = r.zkb;
                zkb.hash = Some(r.hash);
                let row = serde_json::json!({ "killmail_id": r.killmail_id, "zkb": zkb });
                RawPayload::Json(row.to_string().into_bytes())
            }
            Ok(_) => return, // RedisQ "nothing new", or a kind this build does not know
            Err(e) => RawPayload::Unreadable(e.to_string()),
        };
        if let RawPayload::Json(bytes) = &payload {
            pacer.wait(bytes, out);
        }
        out.push(SourceRecord {
            position: format!("{name} record {n}"),
            cursor: cursor(name, n),
            payload,
            received_at_ms: chrono::Utc::now().timestamp_millis(),
        });
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    async fn all(source: &mut ReplaySource) -> Vec<SourceRecord> {
        let mut out = Vec::new();
        loop {
            match source.poll(100).await.unwrap() {
                SourcePoll::Records(r) => out.extend(r),
                SourcePoll::Exhausted => return out,
                SourcePoll::Idle(_) => panic!("a file never idles"),
            }
        }
    }

    #[tokio::test]
    async fn replays_lines_and_resumes_after_a_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kills.jsonl");
        let mut f = File::create(&path).unwrap();
        writeln!(f, "{{\"a\":1}}\n\n{{\"a\":2}}\n{{\"a\":3}}").unwrap();
        drop(f);
        let mut source = ReplaySource::new(vec![path.clone()], None);
        let records = all(&mut source).await;
        let payloads: Vec<_> = records.iter().map(|r| r.payload.clone()).collect();
        assert_eq!(
            payloads,
            vec![
                RawPayload::Json(b"{\"a\":1}".to_vec()),
                RawPayload::Json(b"{\"a\":2}".to_vec()),
                RawPayload::Json(b"{\"a\":3}".to_vec()),
            ]
        );
        assert!(
            records[1].position.ends_with("kills.jsonl line 3"),
            "{}",
            records[1].position
        );

        let mut again = ReplaySource::new(vec![path], None);
        again.resume(&records[1].cursor).await.unwrap();
        let rest = all(&mut again).await;
        // The same records (each read stamped with its own arrival time).
        let seen = |rs: &[SourceRecord]| -> Vec<(String, SourceCursor, RawPayload)> {
            rs.iter()
                .map(|r| (r.position.clone(), r.cursor.clone(), r.payload.clone()))
                .collect()
        };
        assert_eq!(seen(&rest), seen(&records[2..]));
    }

    #[tokio::test]
    async fn a_poll_takes_every_chunk_read_ahead_and_a_failure_behind_them_still_comes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kills.jsonl");
        let mut f = File::create(&path).unwrap();
        for i in 0..2_000 {
            writeln!(f, "{{\"a\":{i}}}").unwrap();
        }
        drop(f);
        let missing = dir.path().join("missing.jsonl");
        let mut source = ReplaySource::new(vec![path, missing], None);
        // Let the reader fill the channel: four chunks, then the failure.
        source.rx = Some(source.spawn());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        match source.poll(10_000).await.unwrap() {
            SourcePoll::Records(r) => assert_eq!(r.len(), 2_000, "one poll takes all chunks read"),
            other => panic!("expected records, got {other:?}"),
        }
        match source.poll(10_000).await {
            Err(SourceError::Unavailable { reason, .. }) => {
                assert!(reason.contains("missing.jsonl"), "{reason}");
            }
            other => panic!("the failure behind the records was lost: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_paced_record_is_handed_over_when_due_not_when_a_chunk_fills() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kills.jsonl");
        let mut f = File::create(&path).unwrap();
        // An hour apart at 36,000x: due 100 ms apart.
        for t in ["00:00:00", "01:00:00", "02:00:00"] {
            writeln!(f, "{{\"killmail_time\":\"2024-01-01T{t}Z\"}}").unwrap();
        }
        drop(f);
        let mut source = ReplaySource::new(vec![path], Some(36_000.0));
        let SourcePoll::Records(first) = source.poll(100).await.unwrap() else {
            panic!("records expected");
        };
        assert_eq!(
            first.len(),
            1,
            "the first record alone, before the next is due"
        );
        let rest = all(&mut source).await;
        assert_eq!(rest.len(), 2);
        assert!(rest[1].received_at_ms - first[0].received_at_ms >= 190);
    }

    #[test]
    fn a_speed_factor_spaces_records_by_killmail_time() {
        let start = Instant::now();
        let mut pacer = Pacer {
            speed: Some(60.0),
            origin: None,
        };
        assert_eq!(pacer.due(1_000, start), start);
        // Ten minutes of killmail time at 60x: ten seconds later.
        assert_eq!(pacer.due(1_600, start), start + Duration::from_secs(10));
        // Out of order: due at once, never before the first record.
        assert_eq!(pacer.due(900, start), start);
        let mut unpaced = Pacer {
            speed: None,
            origin: None,
        };
        assert_eq!(unpaced.due(5_000, start), start);
        assert_eq!(
            killmail_time(br#"{"esi":{"killmail_time":"2024-01-01T00:00:10Z"}}"#),
            Some(1_704_067_210)
        );
        assert_eq!(
            killmail_time(br#"{"package":{"killmail":{"killmail_time":"2024-01-01T00:00:00Z"}}}"#),
            Some(1_704_067_200)
        );
    }

    #[tokio::test]
    async fn a_cursor_of_another_file_is_refused() {
        let mut source = ReplaySource::new(vec![PathBuf::from("a.jsonl")], None);
        let err = source
            .resume(&SourceCursor(r#"{"file":"b.jsonl","record":3}"#.to_owned()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("b.jsonl is not among"), "{err}");
    }

    #[tokio::test]
    async fn json_arrays_are_split_by_core_and_bad_elements_stay_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kills.json");
        std::fs::write(
            &path,
            r#"[{"killmail_id": 5, "zkb": {"hash": "abc"}}, {"nonsense": true}]"#,
        )
        .unwrap();
        let mut source = ReplaySource::new(vec![path], None);
        let records = all(&mut source).await;
        assert_eq!(records.len(), 2);
        match &records[0].payload {
            RawPayload::Json(b) => {
                let v: serde_json::Value = serde_json::from_slice(b).unwrap();
                assert_eq!(v["killmail_id"], 5);
                assert_eq!(v["zkb"]["hash"], "abc");
            }
            RawPayload::Unreadable(e) => panic!("{e}"),
        }
        assert!(
            matches!(&records[1].payload, RawPayload::Unreadable(e) if e.contains("element 1"))
        );
    }
}
