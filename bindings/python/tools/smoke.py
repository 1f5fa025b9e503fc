"""Smoke test of an installed package, without the dev dependencies: what a
user gets from `pip install ./bindings/python` on a fresh machine.

    python bindings/python/tools/smoke.py examples/data
"""

from __future__ import annotations

import sys

import battlescope as bs


def main(data: str) -> int:
    killmails = bs.read_killmails(data, progress=True)
    battles = bs.cluster(killmails)
    assert len(killmails) > 0 and battles, (len(killmails), len(battles))
    assert battles[0].to_dict()["id"] == battles[0].id
    try:
        import pandas  # noqa: F401
    except ImportError:
        try:
            bs.battles_to_pandas(battles)
        except ImportError as e:
            assert "battlescope[pandas]" in str(e), e
        else:
            raise AssertionError("battles_to_pandas worked without pandas")
    print(f"battlescope {bs.__version__}: {len(killmails)} killmails, {len(battles)} battles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
