"""Analyst helpers: every frame has one schema (dtypes) whatever its rows,
the per-battle kill and side frames, intel sections as frames, KillmailSet
slicing and pickling, and the package's doctests."""

from __future__ import annotations

import doctest
import os
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import battlescope as bs
from conftest import ROOT

pd = pytest.importorskip("pandas")

ALLIANCE = 99009614  # in the example data: one battle, won


def without_zkb(kms: bs.KillmailSet) -> bs.KillmailSet:
    """The same killmails as an EVE Ref archive gives them: no zkb, no value."""
    return bs.read_killmails([{k: v for k, v in d.items() if k != "zkb"} for d in kms.to_dicts()])


def schema(df: Any) -> dict[str, str]:
    return {str(c): str(t) for c, t in df.dtypes.items()}


FRAMES: dict[str, Callable[[bs.KillmailSet], Any]] = {
    "killmails": lambda kms: kms.to_pandas(),
    "killmails_flat": lambda kms: kms.to_pandas(nested=False),
    "battles": lambda kms: bs.battles_to_pandas(bs.cluster(kms)),
    "sides": lambda kms: bs.sides_to_pandas(bs.cluster(kms)),
    "kills": lambda kms: bs.kills_to_pandas(bs.cluster(kms), kms),
}


@pytest.mark.parametrize("name", list(FRAMES))
def test_a_frame_has_one_schema_full_without_values_or_empty(
    name: str, examples: bs.KillmailSet
) -> None:
    make = FRAMES[name]
    full = make(examples)
    assert len(full) > 0
    expected = schema(full)
    assert schema(make(without_zkb(examples))) == expected
    empty = make(bs.read_killmails([]))
    assert len(empty) == 0
    assert schema(empty) == expected
    # Class columns list every class, seen or not.
    for column in ("security_class", "ship_class"):
        if column in full.columns:
            names = bs.SECURITY_CLASSES if column == "security_class" else bs.SHIP_CLASSES
            assert list(full[column].cat.categories) == list(names)
            assert list(empty[column].cat.categories) == list(names)


def test_the_dtypes_are_the_documented_ones(examples: bs.KillmailSet) -> None:
    kms = schema(examples.to_pandas(nested=False))
    assert kms["killmail_id"] == "int64" and kms["ship_type_id"] == "int64"
    assert kms["total_value"] == "float64" and kms["npc"] == "bool"
    assert kms["victim_alliance_id"] == "Int64"
    assert kms["killmail_time"] == "datetime64[ns, UTC]"
    battles = schema(bs.battles_to_pandas([]))
    assert battles["system_id"] == "int64" and battles["isk_destroyed"] == "float64"
    assert battles["id"] in {"str", "object"} and battles["killmail_ids"] == "object"
    # Unknown values are NaN, not 0.
    flat = without_zkb(examples).to_pandas(nested=False)
    assert flat["total_value"].isna().all()


def test_kills_frame_puts_each_victim_on_the_side_that_lost_it(examples: bs.KillmailSet) -> None:
    battles = bs.cluster(examples)
    kills = bs.kills_to_pandas(battles, examples)
    assert len(kills) == sum(len(b) for b in battles)
    assert list(kills["killmail_id"]) == [k for b in battles for k in b.killmail_ids]
    for b in battles:
        mine = kills[kills["battle_id"] == b.id]
        for side in b.sides:
            assert (mine["victim_side"] == side.index).sum() == side.losses, (b.id, side.index)
    assert kills["victim_side"].notna().any()


def test_kills_frame_names_a_missing_killmail(examples: bs.KillmailSet) -> None:
    battles = bs.cluster(examples)
    missing = battles[0].killmail_ids[0]
    others = [k for k in examples if k.killmail_id != missing]
    with pytest.raises(ValueError, match=f"killmail {missing} of battle {battles[0].id}"):
        bs.kills_to_pandas(battles, others)


def test_sides_frame_is_the_side_documents(example_battles: list[bs.Battle]) -> None:
    sides = bs.sides_to_pandas(example_battles)
    docs = [(b, s) for b in example_battles for s in b.sides]
    assert len(sides) == len(docs)
    assert list(sides["battle_id"]) == [b.id for b, _ in docs]
    assert list(sides["side"]) == [s.index for _, s in docs]
    assert list(sides["pilot_count"]) == [len(s.pilots) for _, s in docs]
    assert list(sides["isk_lost"]) == [s.isk_lost for _, s in docs]
    assert list(sides["pilots"]) == [s.pilots for _, s in docs]


def test_intel_sections_are_frames_with_one_schema(examples: bs.KillmailSet) -> None:
    report = bs.intel.analyze(examples, alliance=ALLIANCE)
    frames = bs.intel.to_pandas(report)
    assert set(frames) == set(bs.intel.SECTIONS)
    assert len(frames["opponents"]) == len(report["opponents"]) > 0
    first = report["opponents"][0]
    row = frames["opponents"].iloc[0]
    assert (row["group_kind"], row["group_id"]) == (first["group"]["kind"], first["group"]["id"])
    assert row["isk_killed"] == first["iskKilled"]
    # Every key of every item is a column (core added nothing unseen here).
    assert len(frames["pilots"]) > 0 and len(frames["hulls"]) > 0
    empty = bs.intel.to_pandas(bs.intel.analyze(examples, alliance=1))
    # No battles: every section is empty but the 24 hours of the day.
    assert {n: len(f) for n, f in empty.items() if len(f)} == {"hours": 24}
    for name, frame in frames.items():
        assert schema(empty[name]) == schema(frame), name
        assert list(frame.columns) == list(bs.intel.SECTIONS[name][1]), name


def test_intel_frames_refuse_a_key_they_do_not_know(examples: bs.KillmailSet) -> None:
    report = bs.intel.analyze(examples, alliance=ALLIANCE)
    report["opponents"][0]["newFigure"] = 1
    with pytest.raises(KeyError, match="new_figure"):
        bs.intel.to_pandas(report)


def test_killmail_set_slices(examples: bs.KillmailSet) -> None:
    part = examples[2:10:3]
    assert isinstance(part, bs.KillmailSet)
    assert part.killmail_ids == examples.killmail_ids[2:10:3]
    assert part.report["killmails"] == len(part) == 3
    assert examples[::-1].killmail_ids == examples.killmail_ids[::-1]
    assert len(examples[500:]) == 0
    assert examples[-1] == examples[len(examples) - 1]
    with pytest.raises(TypeError, match="integers or slices, not str"):
        examples["a"]  # type: ignore[call-overload]
    with pytest.raises(IndexError):
        examples[len(examples)]


def test_killmail_set_pickles_with_its_counts(examples: bs.KillmailSet) -> None:
    back = pickle.loads(pickle.dumps(examples))
    assert back.to_dicts() == examples.to_dicts()
    assert back.report == examples.report
    records: list[dict[str, Any] | str] = [*examples.to_dicts()[:3], "{", {"killmail_id": 1}]
    with pytest.warns(bs.SkippedRecordsWarning):
        skipped = bs.read_killmails(records)
    again = pickle.loads(pickle.dumps(skipped))
    assert again.skipped == skipped.skipped == {"invalid_json": 1, "not_a_killmail": 1}
    assert again.killmail_ids == skipped.killmail_ids
    assert bs.cluster(back) == bs.cluster(examples)


def test_star_import_keeps_the_builtin_filter() -> None:
    namespace: dict[str, Any] = {}
    exec("from battlescope import *", namespace)
    assert "filter" not in namespace
    assert "cluster" in namespace and "sides_to_pandas" in namespace
    assert callable(bs.filter)


@pytest.mark.parametrize("module", ["battlescope", "battlescope.intel"])
def test_docstring_examples_run(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.chdir(ROOT)
    result = doctest.testmod(
        importlib.import_module(module),
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        raise_on_error=False,
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} doctest(s) of {module} failed (see stdout)"


def test_every_module_doctest_is_collected() -> None:
    """Every module of the package with an example is in the parametrization
    above (so a new example cannot go unchecked)."""
    import battlescope as package

    base = os.path.dirname(package.__file__)
    with_examples = set()
    for name in os.listdir(base):
        if name.endswith(".py"):
            with open(os.path.join(base, name)) as f:
                if ">>> " in f.read():
                    with_examples.add(name)
    assert with_examples == {"__init__.py", "intel.py"}
