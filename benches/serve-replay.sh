#!/usr/bin/env bash
# Replay throughput of the embedded platform: KILLS generated killmails
# through `battlescope serve` (in-process bus, SQLite store, no search
# index) until every service has drained, with wall time and peak RSS.
#
#   benches/serve-replay.sh [KILLS]      (default 1000000)
#
# Prints kills/s (killmails ingested ÷ wall time, start-up and the final
# drain included) and the peak resident set size; then checks the store
# against `battlescope cluster` on the same file (battle count).
set -euo pipefail
KILLS="${1:-1000000}"
source "$(dirname "${BASH_SOURCE[0]}")/fights.sh"

DATA="$OUT/serve-data-$KILLS"
rm -rf "$DATA"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$OUT/serve-rss-kb" \
    "$BIN/battlescope" serve --replay "$INPUT" --exit-after-replay --search none \
    --data "$DATA" --listen 127.0.0.1:0 --log-format json 2>"$OUT/serve-$KILLS.log"
end=$(date +%s.%N)
python3 - "$KILLS" "$start" "$end" "$(cat "$OUT/serve-rss-kb")" "$OUT/serve-$KILLS.log" "$DATA" <<'PY'
import json, sys
kills, start, end, rss_kb, log = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
last = [json.loads(l) for l in open(log) if '"progress"' in l][-1]["fields"]
wall = end - start
print(f"serve replay: {kills} killmails in {wall:.1f} s = {kills / wall:,.0f} kills/s, peak RSS {rss_kb / 1024:.0f} MB")
print("counters:", {k: v for k, v in last.items() if k != "message"})
if last["ingested"] != kills or last["dead_letters"] != 0:
    sys.exit(f"not every killmail went through: {last}")
PY
db="$DATA/battlescope.db"
stored=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from battles where document is not null and merged_into is null").fetchone()[0])' "$db")
batch=$("$BIN/battlescope" cluster "$INPUT" --format jsonl --quiet | wc -l)
echo "battles: store $stored, battlescope cluster $batch"
[ "$stored" -eq "$batch" ] || { echo "DIFFERENT battle counts"; exit 1; }
