"""Nothing is lost silently (issue 15, points 1 and 4): skipped records
warn with their counts by reason (the documented reasons), unreadable
inputs warn when skipped, and progress reaches 100 % for every input."""

from __future__ import annotations

import io
import json
import tarfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import battlescope as bs


def _one_warning(record: list[warnings.WarningMessage]) -> bs.SkippedRecordsWarning:
    found = [w.message for w in record if isinstance(w.message, bs.SkippedRecordsWarning)]
    assert len(found) == 1, [str(w.message) for w in record]
    return found[0]


def test_a_dict_missing_a_field_is_invalid_field_and_warns(esi_text: str) -> None:
    doc = json.loads(esi_text)
    no_victim = {k: v for k, v in doc.items() if k != "victim"}
    no_ship = json.loads(esi_text)
    del no_ship["victim"]["ship_type_id"]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        s = bs.read_killmails([doc, no_victim, no_ship])
    assert len(s) == 1
    assert s.skipped == {"invalid:victim": 1, "invalid:victim.ship_type_id": 1}
    w = _one_warning(record)
    assert w.skipped == s.skipped
    assert "skipped 2 of 3 records" in str(w) and "invalid:victim: 1" in str(w)
    err = s.errors[1]
    assert isinstance(err, bs.InvalidKillmailError)
    assert err.field == "victim.ship_type_id" and err.index == 2
    # No position inside JSON text the package wrote itself.
    assert "column" not in str(err) and "line" not in str(err), str(err)


def test_no_rust_type_names_in_record_errors(esi_text: str) -> None:
    doc = json.loads(esi_text)
    doc["victim"] = 7
    with pytest.raises(bs.InvalidKillmailError) as e:
        bs.parse_killmail(doc)
    assert e.value.field == "victim"
    assert "struct" not in str(e.value) and "JSON object" in str(e.value), str(e.value)
    with pytest.raises(bs.ParseError) as not_object:
        bs.parse_killmail("[1, 2]")
    assert not_object.value.reason == "not_a_killmail"
    assert "RawRecord" not in str(not_object.value)


def test_a_frame_it_cannot_use_warns_and_says_why(examples: bs.KillmailSet) -> None:
    flat = examples.to_pandas(nested=False)
    with pytest.warns(bs.SkippedRecordsWarning, match=r"nested=True") as record:
        s = bs.read_killmails(flat)
    assert len(s) == 0
    assert s.skipped == {"invalid:victim": len(examples)}
    assert "invalid_json" not in str(record[0].message)
    # The nested frame reads back whole, without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(bs.read_killmails(examples.to_pandas())) == len(examples)


def test_quiet_silences_the_warning(esi_text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = bs.read_killmails([esi_text, "{oops"], quiet=True)
    assert s.skipped == {"invalid_json": 1}


def _archive(path: Path, docs: list[dict[str, Any]]) -> None:
    # bzip2 blocks of 100 kB, so a cut archive still has whole blocks.
    with tarfile.open(path, "w:bz2", compresslevel=1) as tar:
        for d in docs:
            data = json.dumps(d).encode()
            info = tarfile.TarInfo(f"killmails/{d['killmail_id']}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_truncated_archive_raises_or_keeps_what_it_read_and_warns(
    tmp_path: Path, examples: bs.KillmailSet
) -> None:
    whole = tmp_path / "whole.tar.bz2"
    docs = [
        dict(d, killmail_id=d["killmail_id"] + copy * 10**9)
        for copy in range(8)
        for d in examples.to_dicts()
    ]
    _archive(whole, docs)
    cut = tmp_path / "killmails-2024-01-01.tar.bz2"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(bs.ReadError, match="killmails-2024-01-01.tar.bz2"):
        bs.read_killmails(cut)
    with pytest.warns(bs.SkippedRecordsWarning, match="could not read 1 input") as record:
        s = bs.read_killmails(cut, skip_unreadable=True)
    assert 0 < len(s) < len(docs)  # the killmails before the cut are kept
    assert len(s.unreadable) == 1 and isinstance(s.unreadable[0], bs.ReadError)
    assert isinstance(record[0].message, bs.SkippedRecordsWarning)
    assert record[0].message.skipped == {"unreadable": 1}


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(bs.FormatError, match="no killmail file"):
        bs.read_killmails(tmp_path)


class _Recorder:
    """Stands in for the progress bar: records its total and updates."""

    made: list[_Recorder] = []

    def __init__(self, total: int, desc: str, unit: str = "B") -> None:
        self.total, self.unit = total, unit
        self.seen: list[int] = []
        _Recorder.made.append(self)

    def update(self, n: int) -> None:
        self.seen.append(n)

    def close(self) -> None:
        pass


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[_Recorder]:
    import battlescope._progress as progress

    _Recorder.made = []
    monkeypatch.setattr(progress, "make_bar", _Recorder)
    return _Recorder


def test_progress_reaches_100_percent_for_every_input(
    tmp_path: Path, examples: bs.KillmailSet, recorder: type[_Recorder]
) -> None:
    archive = tmp_path / "killmails-2024-01-01.tar.bz2"
    _archive(archive, examples.to_dicts())
    dicts = examples.to_dicts() * 50  # 6,100 records: more than one report
    inputs: list[Any] = [archive, dicts, pd.DataFrame(examples.to_pandas()), list(examples)]
    for source in inputs:
        bs.read_killmails(source, progress=True, quiet=True)
    archive_bar, dicts_bar, frame_bar, objects_bar = recorder.made
    assert archive_bar.unit == "B" and sum(archive_bar.seen) == archive.stat().st_size
    assert dicts_bar.unit == "records" and dicts_bar.total == len(dicts)
    assert sum(dicts_bar.seen) == len(dicts) and len(dicts_bar.seen) > 1
    assert sum(frame_bar.seen) == frame_bar.total == len(examples)
    assert sum(objects_bar.seen) == objects_bar.total == len(examples)


def test_plain_bar_counts_records(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], examples: bs.KillmailSet
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were absent
    bs.read_killmails(examples.to_dicts(), progress=True)
    err = capsys.readouterr().err
    assert "100.0%" in err and f"{len(examples)}/{len(examples)} records" in err
