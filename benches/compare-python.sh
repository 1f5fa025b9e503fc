#!/usr/bin/env bash
# Rust engine vs the plain-Python baseline, same generated file, same run.
#
#   benches/compare-python.sh [KILLS]      (default 1000000)
#
# Generates KILLS killmails of realistic fights (battlescope-synth), clusters
# them with `battlescope cluster` and with benches/peers/cluster.py, checks
# that both find exactly the same battles, and prints both timings.
set -euo pipefail
KILLS="${1:-1000000}"
source "$(dirname "${BASH_SOURCE[0]}")/fights.sh"

echo "== Rust: battlescope cluster"
"$BIN/battlescope" cluster "$INPUT" --format jsonl -o "$OUT/rust-$KILLS.jsonl"

echo "== Python: benches/peers/cluster.py"
python3 benches/peers/cluster.py "$INPUT" -o "$OUT/python-$KILLS.jsonl"

echo "== same battles?"
python3 - "$OUT/rust-$KILLS.jsonl" "$OUT/python-$KILLS.jsonl" <<'PY'
import json, sys
rust = sorted((b["systemId"], tuple(sorted(b["killmailIds"]))) for b in map(json.loads, open(sys.argv[1])))
py = sorted((b["system"], tuple(b["killmail_ids"])) for b in map(json.loads, open(sys.argv[2])))
print(f"rust: {len(rust)} battles, python: {len(py)} battles")
if rust != py:
    only_r = set(rust) - set(py)
    only_p = set(py) - set(rust)
    print(f"DIFFERENT: {len(only_r)} only in Rust, {len(only_p)} only in Python")
    sys.exit(1)
print("identical memberships")
PY
