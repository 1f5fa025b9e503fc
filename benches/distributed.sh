#!/usr/bin/env bash
# The distributed platform on this machine: one process per service
# (ingest → enrich → clusterer → writer) on real Kafka, PostgreSQL and
# Typesense (all three running, started on loopback by
# deploy/local/services), fed KILLS generated killmails.
#
#   benches/distributed.sh [KILLS] [RATE]
#
# Without RATE: the replay goes as fast as ingest reads; prints kills/s from
# the start of ingest to the moment PostgreSQL holds every killmail and the
# batch number of battles. With RATE (kills/s, e.g. 2000 for the seeds'
# burst): the replay is paced by killmail time to arrive at RATE on average,
# and the kill → battle latency the writer measured (from the source
# handing a kill over to the commit of its battle in PostgreSQL) is read
# from its /metrics histogram: the share of kills within 2 s, and the
# bucket holding p50 and p99. Both print each service's CPU time and RSS
# and the load average. Leaves the servers as it found them (starts and
# stops them only if they were not running).
set -euo pipefail
KILLS="${1:-100000}"
RATE="${2:-}"
export BUILD_FEATURES=backends
source "$(dirname "${BASH_SOURCE[0]}")/fights.sh"

SERVICES="$ROOT/deploy/local/services"
started_servers=0
if ! "$SERVICES" status >/dev/null 2>&1; then
    "$SERVICES" up >/dev/null
    started_servers=1
fi
eval "$("$SERVICES" env)"
NAME="bench_$$"
RUN="$OUT/distributed-$NAME"
mkdir -p "$RUN"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL")
"${PSQL[@]}" -c "CREATE SCHEMA $NAME"
SEP='?'
[[ "$DATABASE_URL" == *\?* ]] && SEP='&'
export BATTLESCOPE_BUS="kafka://$KAFKA_BROKERS?prefix=${NAME}_"
export BATTLESCOPE_STORE="$DATABASE_URL${SEP}options=-c%20search_path%3D$NAME"
export BATTLESCOPE_LOG_FORMAT=json RUST_LOG=warn

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "${PSQL[@]}" -c "DROP SCHEMA IF EXISTS $NAME CASCADE" >/dev/null 2>&1 || true
    if [ "$started_servers" = 1 ]; then "$SERVICES" down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

port=19190
start_service() { # name args...
    local name="$1"
    shift
    port=$((port + 1))
    "$BIN/battlescope" service "$name" --health-listen "127.0.0.1:$port" "$@" 2>"$RUN/$name.log" &
    pids+=($!)
    echo "$name $! $port" >>"$RUN/services"
}
: >"$RUN/services"
start_service writer
start_service enrich
start_service clusterer
writer_port=19191
# The store is migrated and the groups have joined before the clock starts.
for p in 19191 19192 19193; do
    until curl -fs "http://127.0.0.1:$p/health/ready" >/dev/null; do sleep 0.2; done
done
sleep 3

SPEED_ARGS=()
if [ -n "$RATE" ]; then
    SPEED=$(python3 - "$INPUT" "$RATE" <<'PY'
import json, sys
from datetime import datetime
times = [datetime.fromisoformat(json.loads(l)["killmail_time"].replace("Z", "+00:00")).timestamp()
         for l in open(sys.argv[1]) if l.strip()]
print(f"{float(sys.argv[2]) * (max(times) - min(times)) / len(times):.3f}")
PY
)
    SPEED_ARGS=(--speed "$SPEED")
    echo "paced at ${SPEED}x real time = $RATE kills/s on average"
fi
BATCH=$("$BIN/battlescope" cluster "$INPUT" --format jsonl --quiet | wc -l)
start=$(date +%s.%N)
start_service ingest --replay "$INPUT" "${SPEED_ARGS[@]}"
count() { "${PSQL[@]}" -tAc "SELECT (SELECT count(*) FROM $NAME.killmails) || ' ' || (SELECT count(*) FROM $NAME.battles WHERE document IS NOT NULL AND merged_into IS NULL)"; }
while true; do
    read -r kms battles <<<"$(count)"
    if [ "$kms" -ge "$KILLS" ] && [ "$battles" -eq "$BATCH" ]; then break; fi
    sleep 0.5
done
end=$(date +%s.%N)
load=$(cut -d' ' -f1-3 /proc/loadavg)
curl -fs "http://127.0.0.1:$writer_port/metrics" >"$RUN/writer.metrics"
while read -r name pid _; do
    [ -d "/proc/$pid" ] || continue
    ps -o rss=,cputime= -p "$pid" | awk -v n="$name" '{printf "  %-9s RSS %4d MB, CPU %s\n", n, $1/1024, $2}'
done <"$RUN/services" >"$RUN/usage"
python3 - "$KILLS" "$start" "$end" "$RUN/writer.metrics" "$load" "${RATE:-}" <<'PY'
import re, sys
kills, start, end, metrics, load, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
wall = end - start
print(f"distributed: {kills} killmails in {wall:.1f} s = {kills / wall:,.0f} kills/s (load average {load})")
buckets = {}
for line in open(metrics):
    m = re.match(r'battlescope_kill_to_battle_seconds_bucket\{le="([^"]+)"\} (\d+)', line)
    if m:
        buckets[float(m.group(1))] = int(m.group(2))
total = buckets.get(float("inf"), 0)
if total:
    within2 = buckets.get(2.0, 0) / total
    def bucket_of(q):
        return next(b for b, n in sorted(buckets.items()) if n >= q * total)
    print(f"kill -> battle in PostgreSQL: {total} kills timed, {within2:.2%} within 2 s; "
          f"p50 <= {bucket_of(0.5)} s, p99 <= {bucket_of(0.99)} s")
PY
cat "$RUN/usage"
read -r kms battles <<<"$(count)"
echo "battles: store $battles, battlescope cluster $BATCH; killmails stored $kms of $KILLS"
