"""The example scripts of examples/python run to the end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPTS = sorted((ROOT / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_runs(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "battles" in done.stdout or "kills" in done.stdout


def test_there_are_examples() -> None:
    assert {s.name for s in SCRIPTS} >= {"quickstart.py", "incremental.py", "rulesets.py"}
