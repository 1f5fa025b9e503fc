"""read_killmails / parse_killmail: every input core reads, in-memory input,
reports of skipped records, progress bars."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

import battlescope as bs
from conftest import EXAMPLES, FIXTURES

ESI_IDS = sorted(
    int(p.stem.split("-")[1]) for p in (FIXTURES / "esi").glob("killmail-*.json")
)


def test_examples_directory_reads_every_file(examples: bs.KillmailSet) -> None:
    assert len(examples) == 122
    assert examples.report["sources"] == 4
    assert examples.skipped == {}
    assert examples.errors == []
    assert examples.report["skipped_total"] == 0


def test_each_record_shape(esi_text: str) -> None:
    esi = bs.read_killmails(FIXTURES / "esi")
    assert sorted(esi.killmail_ids) == ESI_IDS
    r2z2 = bs.read_killmails(FIXTURES / "r2z2" / "96599404.json")
    assert len(r2z2) == 1 and r2z2[0].zkb is not None
    redisq = bs.read_killmails(
        [FIXTURES / "redisq" / "package-119455394.json", FIXTURES / "redisq" / "package-null.json"]
    )
    assert redisq.killmail_ids == [119455394]
    assert redisq.report["empty"] == 1
    # zKillboard API rows are references: the killmail is still to fetch.
    rows = bs.read_killmails(FIXTURES / "zkb-api")
    assert len(rows) == 0
    assert len(rows.references) == rows.report["references"] > 0
    assert {"killmail_id", "hash", "zkb"} <= set(rows.references[0])


def test_json_array_jsonl_and_archive_give_the_same_killmails(tmp_path: Path) -> None:
    docs = [json.loads(p.read_text()) for p in sorted((FIXTURES / "esi").glob("*.json"))]
    array = tmp_path / "all.json"
    array.write_text(json.dumps(docs, indent=2))
    lines = tmp_path / "all.jsonl"
    lines.write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    archive = tmp_path / "killmails-2024-01-01.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        for d in docs:
            data = json.dumps(d).encode()
            info = tarfile.TarInfo(f"killmails/{d['killmail_id']}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    sets = [bs.read_killmails(p) for p in (array, lines, archive)]
    for s in sets:
        assert sorted(s.killmail_ids) == ESI_IDS
    assert [sorted(k.to_json() for k in s) for s in sets[1:]] == [
        sorted(k.to_json() for k in sets[0])
    ] * 2
    # A directory finds the archive too; the same killmails collapse.
    both = bs.read_killmails(tmp_path)
    assert len(both) == len(ESI_IDS)
    assert both.report["duplicates"] == 2 * len(ESI_IDS)
    assert both.report["sources"] == 3


def test_explicit_format(tmp_path: Path, esi_text: str) -> None:
    f = tmp_path / "one.txt"
    f.write_text(json.dumps(json.loads(esi_text)) + "\n")
    assert len(bs.read_killmails(f, format="jsonl+esi")) == 1
    with pytest.warns(bs.SkippedRecordsWarning, match="not_a_killmail: 1"):
        wrong = bs.read_killmails(f, format="r2z2")
    assert len(wrong) == 0 and wrong.skipped == {"not_a_killmail": 1}
    with pytest.raises(bs.ConfigError) as e:
        bs.read_killmails(f, format="xml")
    assert e.value.field == "input format"


def test_bad_records_are_skipped_and_counted(tmp_path: Path, esi_text: str) -> None:
    good = json.loads(esi_text)
    bad_id = dict(good, killmail_id=0)
    wrong_type = dict(good, killmail_id=5, attackers=[{"damage_done": "lots"}])
    f = tmp_path / "mixed.jsonl"
    f.write_text(
        "\n".join(
            [json.dumps(good), "{not json", json.dumps(bad_id), json.dumps(wrong_type), "[1]", ""]
        )
    )
    with pytest.warns(bs.SkippedRecordsWarning):
        s = bs.read_killmails(f)
    assert len(s) == 1
    # Valid JSON with a wrong type is a field error, not invalid JSON; the
    # key drops the attacker's index (one key per field).
    assert s.skipped == {
        "invalid:attackers[].damage_done": 1,
        "invalid:killmail_id": 1,
        "invalid_json": 1,
        "not_a_killmail": 1,
    }
    assert s.report["records"] == 5
    lines = sorted(e.line for e in s.errors if isinstance(e, bs.BattleScopeError) and e.line)
    assert lines == [2, 3, 4, 5]
    by_line = {e.line: e for e in s.errors if isinstance(e, bs.BattleScopeError)}
    assert isinstance(by_line[3], bs.InvalidKillmailError)
    assert by_line[3].field == "killmail_id"
    assert by_line[4].field is not None and "attackers[0]" in by_line[4].field
    assert by_line[4].field == "attackers[0].damage_done"
    assert by_line[4].killmail_id == 5
    assert by_line[5].reason == "not_a_killmail"
    assert all(e.source == str(f) for e in by_line.values())
    with pytest.raises(bs.ParseError) as first:
        bs.read_killmails(f, strict=True)
    assert first.value.line == 2


def test_duplicates_collapse_into_the_first(tmp_path: Path, esi_text: str) -> None:
    f = tmp_path / "dupes.jsonl"
    one = json.dumps(json.loads(esi_text))
    f.write_text("\n".join([one, one, one]))
    s = bs.read_killmails(f)
    assert len(s) == 1
    assert s.report["duplicates"] == 2
    assert s.duplicate_ids == [78560358, 78560358]


def test_records_in_memory(esi_text: str) -> None:
    doc = json.loads(esi_text)
    km = bs.parse_killmail(doc)
    s = bs.read_killmails([doc, esi_text, esi_text.encode(), km, dict(doc, killmail_id=7)])
    assert s.killmail_ids == [78560358, 7]
    assert s.report["duplicates"] == 3
    with pytest.warns(bs.SkippedRecordsWarning, match="skipped 3 of 4 records"):
        bad = bs.read_killmails([doc, "{oops", "   ", dict(doc, victim=None)])
    assert len(bad) == 1
    assert [e.index for e in bad.errors if isinstance(e, bs.BattleScopeError)] == [1, 2, 3]
    assert all(
        e.source is None and e.line is None for e in bad.errors if isinstance(e, bs.BattleScopeError)
    )
    with pytest.raises(bs.ParseError) as e:
        bs.read_killmails([doc, "{oops"], strict=True)
    assert e.value.index == 1 and "element 1" in str(e.value)


def test_multi_line_text_records_stay_one_record(esi_text: str) -> None:
    assert "\n" in esi_text
    with pytest.warns(bs.SkippedRecordsWarning, match="invalid_json: 1"):
        s = bs.read_killmails([esi_text, "{\n broken\n"])
    assert len(s) == 1
    assert s.report["records"] == 2
    assert s.skipped == {"invalid_json": 1}


def test_dicts_with_python_values(esi_text: str) -> None:
    doc = json.loads(esi_text)
    doc["killmail_time"] = dt.datetime(2019, 8, 22, 1, 26, 53, tzinfo=dt.timezone.utc)
    km = bs.parse_killmail(doc)
    assert km.killmail_time == dt.datetime(2019, 8, 22, 1, 26, 53, tzinfo=dt.timezone.utc)
    with pytest.raises(TypeError):
        bs.parse_killmail(dict(doc, killmail_time=object()))


def test_killmail_object(esi_text: str) -> None:
    km = bs.parse_killmail(esi_text)
    doc = json.loads(esi_text)
    assert km.killmail_id == doc["killmail_id"]
    assert km.solar_system_id == doc["solar_system_id"]
    assert km.killmail_time.tzinfo is not None
    assert km.killmail_time.isoformat() == "2019-08-22T01:26:53+00:00"
    assert km.victim["ship_type_id"] == doc["victim"]["ship_type_id"]
    assert len(km.attackers) == len(doc["attackers"])
    assert km.to_dict() == json.loads(km.to_json())
    # Its attackers are NPC faction pilots, but one has a character id.
    assert km.is_npc_kill is False and km.total_value is None and km.zkb is None
    assert bs.parse_killmail(km.to_dict()) == km
    assert "78560358" in repr(km)


def test_sequence_protocol(examples: bs.KillmailSet) -> None:
    ids = examples.killmail_ids
    assert [k.killmail_id for k in examples] == ids
    assert examples[-1].killmail_id == ids[-1]
    with pytest.raises(IndexError):
        examples[len(examples)]
    assert len(examples.to_dicts()) == len(examples)
    assert "122 killmails" in repr(examples)


def test_wrong_arguments(esi_text: str) -> None:
    with pytest.raises(TypeError):
        bs.read_killmails(json.loads(esi_text))
    with pytest.raises(TypeError):
        bs.read_killmails([EXAMPLES, esi_text])  # type: ignore[arg-type]
    with pytest.raises(bs.ReadError) as e:
        bs.read_killmails(EXAMPLES / "missing.jsonl")
    assert isinstance(e.value, OSError)
    assert e.value.source is not None and e.value.source.endswith("missing.jsonl")
    assert e.value.reason == "io"


def test_progress_plain_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], generated: Path
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were absent
    s = bs.read_killmails(generated, progress=True)
    assert len(s) == 20_000
    err = capsys.readouterr().err
    assert "reading killmails" in err and "100.0%" in err


def test_progress_tqdm(generated: Path) -> None:
    pytest.importorskip("tqdm")
    seen: list[int] = []

    import battlescope._progress as progress

    class Recorder:
        def __init__(self, total: int, desc: str, unit: str = "B") -> None:
            self.total = total

        def update(self, n: int) -> None:
            seen.append(n)

        def close(self) -> None:
            pass

    original = progress.make_bar
    progress.make_bar = Recorder
    try:
        bs.read_killmails(generated, progress=True)
    finally:
        progress.make_bar = original
    assert sum(seen) == generated.stat().st_size
    assert len(seen) > 1  # reported as it goes, not once at the end
    bar = original(10, "x")
    assert type(bar).__module__.startswith("tqdm")
    bar.close()


def test_a_python_exception_in_the_progress_callback_stops_the_read(generated: Path) -> None:
    from battlescope import _battlescope

    def boom(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _battlescope.read_paths([generated], progress=boom)


def test_killmails_pickle(examples: bs.KillmailSet) -> None:
    import pickle

    some = list(examples)[:10]
    assert pickle.loads(pickle.dumps(some)) == some


def _every_format_directory(root: Path, examples: bs.KillmailSet) -> set[int]:
    """A directory holding one file of every extension the engine reads, a
    nested one, and a file it does not read; returns the ids written."""
    import io
    import json
    import tarfile

    kms = [k.to_dict() for k in list(examples)[:6]]
    (root / "a.json").write_text(json.dumps([kms[0]]))
    (root / "b.jsonl").write_text(json.dumps(kms[1]) + "\n")
    (root / "c.jsonlines").write_text(json.dumps(kms[2]) + "\n")
    (root / "d.ndjson").write_text(json.dumps(kms[3]) + "\n")
    (root / "days").mkdir()
    with tarfile.open(root / "days" / "killmails-2024-01-01.tar.bz2", "w:bz2") as tar:
        for km in kms[4:]:
            data = json.dumps(km).encode()
            info = tarfile.TarInfo(f"killmails/{km['killmail_id']}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (root / "notes.txt").write_text("not killmails")
    return {k["killmail_id"] for k in kms}


def test_a_directory_of_every_format_reads_whole(tmp_path: Path, examples: bs.KillmailSet) -> None:
    ids = _every_format_directory(tmp_path, examples)
    seen: list[int] = []
    from battlescope import _battlescope

    files = _battlescope.expand_paths([tmp_path])
    assert len(files) == 5 and not any(f.endswith("notes.txt") for f in files)
    got = _battlescope.read_paths(files, progress=seen.append)
    assert set(got.killmail_ids) == ids
    assert sum(seen) == sum(Path(f).stat().st_size for f in files)  # 100 %, archives too
    assert set(bs.read_killmails(tmp_path).killmail_ids) == ids


def test_an_unreadable_file_does_not_stop_the_others(tmp_path: Path, examples: bs.KillmailSet) -> None:
    ids = _every_format_directory(tmp_path, examples)
    missing = tmp_path / "missing.jsonl"
    files = [tmp_path / "a.json", missing, tmp_path / "b.jsonl"]
    with pytest.raises(bs.ReadError, match="missing.jsonl"):
        bs.read_killmails(files)
    with pytest.warns(bs.SkippedRecordsWarning, match="missing.jsonl"):
        got = bs.read_killmails(files, skip_unreadable=True)
    assert len(got) == 2 and set(got.killmail_ids) < ids
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(bs.BattleScopeError, match="no killmail file"):
        bs.read_killmails(empty)
