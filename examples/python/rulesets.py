"""Rulesets: keep the killmails that matter, and see why the others went.

    python examples/python/rulesets.py
"""

from __future__ import annotations

from pathlib import Path

import battlescope as bs

EXAMPLES = Path(__file__).resolve().parents[1]


def main() -> None:
    killmails = bs.read_killmails(EXAMPLES / "data")
    rules = bs.Ruleset.from_file(EXAMPLES / "rulesets" / "wormhole-fights.yaml")

    decision = rules.evaluate(killmails[0])
    print(f"killmail {killmails[0].killmail_id}: {decision.rule or 'accepted'} {decision.reason or ''}")

    kept = bs.filter(killmails, rules)
    print(f"kept {len(kept)} of {len(killmails)}; rejected by rule: {kept.rejected}")

    # The same rules as a dict, tightened.
    strict = bs.Ruleset.from_dict(rules.to_dict() | {"min_pilots": 10})
    print(f"with min_pilots 10: {len(bs.filter(killmails, strict))} kept")

    for battle in bs.cluster(kept):
        print(f"  {battle.start_time:%Y-%m-%d %H:%M} {battle.system_name}: {len(battle)} kills")


if __name__ == "__main__":
    main()
