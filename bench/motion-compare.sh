#!/bin/sh
# Before/after of the motion-gated frame stage, one process per run, CPU and wall time and peak memory by GNU time.
# Usage: bench/motion-compare.sh BASE_TREE AFTER_TREE OUT_DIR   (trees: checkouts with node_modules; media in ../shared/media)
# Prints one line per run: tree clip wall_s cpu_s max_rss_kb, and keeps each run's --json output in OUT_DIR.
set -u
BASE=$1 AFTER=$2 OUT=$3
MEDIA=/work/shared/media
mkdir -p "$OUT"
run() { # tree name clip sop fps
  tree=$1 name=$2 clip=$3 sop=$4 fps=$5
  tag=$(basename "$tree")-$name
  ( cd "$tree" && /usr/bin/time -f "%e %U %S %M" -o "$OUT/$tag.time" node bin/sopwatch.mjs analyze "$clip" --sop "$sop" --fps "$fps" --evidence "$OUT/$tag.evidence" --json > "$OUT/$tag.json" 2> "$OUT/$tag.err" )
  set -- $(cat "$OUT/$tag.time")
  echo "$tag wall=$1 cpu=$(echo "$2 + $3" | bc) rss_kb=$4 load=$(cut -d' ' -f1 /proc/loadavg)"
}
for tree in "$BASE" "$AFTER"; do
  run "$tree" bottles "$MEDIA/intel_bottle-detection.mp4" test/fixtures/sop/bottles.yaml 5
done
for tree in "$AFTER" "$BASE"; do
  run "$tree" person "$MEDIA/intel_one-by-one-person-detection.mp4" test/fixtures/sop/station-visit.yaml 5
done
