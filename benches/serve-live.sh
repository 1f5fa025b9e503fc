#!/usr/bin/env bash
# Kill → battle latency of the embedded platform at a live rate: KILLS
# generated killmails replayed through `battlescope serve` paced by their
# killmail times, sped up so that they arrive at RATE kills per second on
# average (fights are bursty, as live ones are), with the default embedded
# search index.
#
#   benches/serve-live.sh [KILLS] [RATE]      (default 120000 at 1000/s)
#
# The latency of a kill runs from the moment the source hands it over to
# the moment the store holds a battle with it (from then on the API shows
# it): serve's writer records it per kill after each commit, counting a
# kill that waited for a partner from its partner's arrival (see
# RECEIVED_AT_HEADER in platform/src/ports/bus.rs). Prints p50 / p99 / max,
# the rate reached, peak RSS and CPU time.
set -euo pipefail
KILLS="${1:-120000}"
RATE="${2:-1000}"
source "$(dirname "${BASH_SOURCE[0]}")/fights.sh"
# The file's own rate (kills per second of killmail time) → the speed-up.
SPEED=$(python3 - "$INPUT" "$RATE" <<'PY'
import json, sys
from datetime import datetime
times = [datetime.fromisoformat(json.loads(l)["killmail_time"].replace("Z", "+00:00")).timestamp()
         for l in open(sys.argv[1]) if l.strip()]
span = max(times) - min(times)
print(f"{float(sys.argv[2]) * span / len(times):.3f}")
PY
)
echo "replayed at ${SPEED}x real time = $RATE kills/s on average"

DATA="$OUT/serve-live-$KILLS"
rm -rf "$DATA"
start=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$OUT/serve-live-time" \
    "$BIN/battlescope" serve --replay "$INPUT" --speed "$SPEED" --exit-after-replay \
    --data "$DATA" --listen 127.0.0.1:0 --log-format json 2>"$OUT/serve-live-$KILLS.log"
end=$(date +%s.%N)
python3 - "$KILLS" "$start" "$end" "$OUT/serve-live-time" "$OUT/serve-live-$KILLS.log" <<'PY'
import json, sys
kills, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rss_kb, user, system = open(sys.argv[4]).read().split()
last = [json.loads(l) for l in open(sys.argv[5]) if '"progress"' in l][-1]["fields"]
wall = end - start
print(f"serve live: {kills} killmails in {wall:.1f} s = {kills / wall:,.0f} kills/s, "
      f"peak RSS {int(rss_kb) / 1024:.0f} MB, CPU {float(user) + float(system):.1f} s "
      f"({(float(user) + float(system)) / wall * 100:.0f} % of one core)")
print(f"kill → battle: p50 {last['kill_to_battle_p50_ms']} ms, p99 {last['kill_to_battle_p99_ms']} ms, "
      f"max {last['kill_to_battle_max_ms']} ms")
if last["ingested"] != kills or last["dead_letters"] != 0:
    sys.exit(f"not every killmail went through: {last}")
PY
