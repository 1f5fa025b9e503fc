# Sourced by the benchmark scripts: builds the release binaries and makes
# the input of KILLS generated killmails (battlescope-synth, seed 42, kept
# under .local/bench for the next run). Sets ROOT, OUT, BIN and INPUT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/battlescope/target}"
OUT="$ROOT/.local/bench"
mkdir -p "$OUT"

# BUILD_FEATURES=backends for the Kafka bus (benches/distributed.sh).
cargo build --release --quiet -p battlescope -p battlescope-synth ${BUILD_FEATURES:+--features "battlescope/$BUILD_FEATURES"}
BIN="$CARGO_TARGET_DIR/release"
INPUT="$OUT/fights-$KILLS.jsonl"
[ -s "$INPUT" ] || "$BIN/battlescope-synth" --kills "$KILLS" --seed 42 -o "$INPUT"
echo "input: $INPUT ($(du -h "$INPUT" | cut -f1), $KILLS killmails)"
