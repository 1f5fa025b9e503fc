//! Many inputs: directories expand to every file core reads, an unreadable
//! file stops only itself and is reported, progress reaches 100 % even for
//! archives (whose reader stops at the tar end marker).
#![cfg(feature = "archive")]

use std::io::Write;
use std::path::Path;

use battlescope_core::input::{expand_paths, read_paths, ReadOptions, ReadProgress};

fn esi(id: u64) -> String {
    format!(
        r#"{{"killmail_id":{id},"killmail_time":"2024-05-01T12:00:00Z","solar_system_id":30002813,"victim":{{"character_id":1,"corporation_id":2,"damage_taken":100,"ship_type_id":587}},"attackers":[{{"character_id":3,"corporation_id":4,"damage_done":100,"final_blow":true,"security_status":0.5,"ship_type_id":587}}]}}"#
    )
}

fn archive(ids: &[u64]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for id in ids {
        let bytes = esi(*id);
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("killmails/{id}.json"),
            bytes.as_bytes(),
        )
        .unwrap();
    }
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&tar.into_inner().unwrap()).unwrap();
    bz.finish().unwrap()
}

/// A directory with one file of every extension core reads, a file it does
/// not, and a nested directory.
fn tree(dir: &Path) {
    std::fs::write(dir.join("a.json"), format!("[{}]", esi(1))).unwrap();
    std::fs::write(dir.join("b.jsonl"), format!("{}\n", esi(2))).unwrap();
    std::fs::write(dir.join("c.jsonlines"), format!("{}\n", esi(3))).unwrap();
    std::fs::write(dir.join("d.ndjson"), format!("{}\n", esi(4))).unwrap();
    std::fs::create_dir(dir.join("days")).unwrap();
    std::fs::write(
        dir.join("days/killmails-2024-05-01.tar.bz2"),
        archive(&[5, 6]),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not killmails").unwrap();
}

#[test]
fn a_directory_reads_every_format_core_reads() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let files = expand_paths(&[dir.path()]).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        vec![
            "a.json",
            "b.jsonl",
            "c.jsonlines",
            "d.ndjson",
            "days/killmails-2024-05-01.tar.bz2"
        ]
    );
    let mut seen: Vec<ReadProgress> = Vec::new();
    let out = read_paths(&files, &ReadOptions::default(), &mut |p| {
        seen.push(p.clone());
        Ok(())
    })
    .unwrap();
    let mut ids: Vec<u64> = out.killmails.iter().map(|k| k.killmail_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
    let mut out = out;
    out.check_readable().unwrap();
    let last = seen.last().unwrap();
    assert_eq!(last.bytes, last.total_bytes, "progress reaches 100 %");
    assert_eq!(
        (last.files_done, last.files, last.current.as_deref()),
        (5, 5, None)
    );
    assert!(seen.windows(2).all(|w| w[0].bytes <= w[1].bytes));
}

#[test]
fn an_unreadable_file_stops_only_itself_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let mut files = expand_paths(&[dir.path()]).unwrap();
    files.insert(1, dir.path().join("missing.jsonl"));
    let broken = dir.path().join("broken.tar.bz2");
    let mut bytes = archive(&[7, 8]);
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&broken, bytes).unwrap();
    files.push(broken);
    let mut out = read_paths(&files, &ReadOptions::default(), &mut |_| Ok(())).unwrap();
    assert_eq!(
        out.killmails.len(),
        6,
        "the files around the bad ones are read"
    );
    assert_eq!(out.unreadable.len(), 2);
    let err = out.check_readable().unwrap_err();
    assert!(matches!(err, battlescope_core::Error::Io { .. }), "{err:?}");
    let err = err.to_string();
    assert!(
        err.contains("missing.jsonl") && err.contains("1 more"),
        "{err}"
    );
}

#[test]
fn an_empty_directory_is_an_error_not_an_empty_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    let err = expand_paths(&[dir.path()]).unwrap_err().to_string();
    assert!(err.contains("no killmail file"), "{err}");
}

#[test]
fn progress_can_stop_the_read() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let files = expand_paths(&[dir.path()]).unwrap();
    let mut calls = 0;
    let err = read_paths(&files, &ReadOptions::default(), &mut |_| {
        calls += 1;
        if calls == 3 {
            Err(std::io::Error::other("interrupted by the user"))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(err.to_string().contains("interrupted by the user"), "{err}");
}
