"""Intel reports: the same as `battlescope intel`, for every entity kind."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import battlescope as bs
from conftest import EXAMPLES, ROOT


def cli_intel(cli: Path, *args: str | Path) -> dict[str, Any]:
    out = subprocess.run(
        [cli, "intel", EXAMPLES, *args, "--quiet"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report: dict[str, Any] = json.loads(out)
    return report


def busiest(examples: bs.KillmailSet, key: str) -> int:
    counts: Counter[int] = Counter(
        a[key] for km in examples for a in km.attackers if a.get(key) is not None
    )
    return counts.most_common(1)[0][0]


@pytest.mark.parametrize("kind", ["alliance", "corporation", "character"])
def test_same_report_as_cli(cli: Path, examples: bs.KillmailSet, kind: str) -> None:
    entity = busiest(examples, f"{kind}_id")
    expected = cli_intel(cli, f"--{kind}", str(entity))
    got = bs.intel.analyze(examples, **{kind: entity})  # type: ignore[arg-type]
    assert got == expected
    assert got["summary"]["battles"] > 0
    assert got["entity"] == {"kind": kind, "id": entity}


def test_options_and_given_battles(cli: Path, examples: bs.KillmailSet) -> None:
    alliance = busiest(examples, "alliance_id")
    expected = cli_intel(
        cli,
        "--alliance",
        str(alliance),
        "--doctrine-scope",
        "entity",
        "--doctrine-min-fleet",
        "2",
        "--doctrine-similarity",
        "0.5",
        "--min-kills",
        "3",
    )
    battles = bs.cluster(examples, min_kills=3)
    got = bs.intel.analyze(
        examples,
        battles,
        alliance=alliance,
        doctrine_scope="entity",
        doctrine_min_fleet=2,
        doctrine_similarity=0.5,
    )
    assert got == expected


def test_arguments() -> None:
    kms: list[dict[str, Any]] = []
    with pytest.raises(TypeError, match="exactly one"):
        bs.intel.analyze(kms)
    with pytest.raises(TypeError, match="exactly one"):
        bs.intel.analyze(kms, alliance=1, character=2)
    with pytest.raises(bs.ConfigError) as e:
        bs.intel.analyze(kms, alliance=1, doctrine_scope="fleet")  # type: ignore[arg-type]
    assert e.value.field == "doctrine_scope"
    # Core checks every doctrine knob, as in the CLI and Node.
    for bad in (1.7, -0.1, float("nan")):
        with pytest.raises(bs.ConfigError) as e:
            bs.intel.analyze(kms, alliance=1, doctrine_similarity=bad)
        assert e.value.field == "doctrine_similarity" and e.value.kind == "config"
    with pytest.raises(bs.ConfigError) as e:
        bs.intel.analyze(kms, alliance=1, doctrine_min_fleet=0)
    assert e.value.field == "doctrine_min_fleet"
    empty = bs.intel.analyze(kms, alliance=1)
    assert empty["summary"]["battles"] == 0
