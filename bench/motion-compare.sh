#!/bin/sh
# Before/after of the frame stage (issue 11), one process per run: wall and CPU time and peak memory by GNU time.
# Usage: bench/motion-compare.sh BASE_TREE AFTER_TREE OUT_DIR   (trees: checkouts with node_modules; media in ../shared/media)
# Prints one line per run: tree, clip, wall s, CPU s, peak RSS KB, load; keeps each run's --json output in OUT_DIR.
# Then `sopwatch eval eval/labels/` per tree (the accuracy on the three labelled public clips) and `npm run demo`.
set -u
BASE=$1 AFTER=$2 OUT=$3
MEDIA=/work/shared/media
mkdir -p "$OUT"
timed() { # tag command...
  tag=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/$tag.time" "$@" > "$OUT/$tag.out" 2> "$OUT/$tag.err"
  set -- $(tail -1 "$OUT/$tag.time")
  echo "$tag wall=$1 cpu=$(echo "$2 + $3" | bc) rss_kb=$4 load=$(cut -d' ' -f1 /proc/loadavg)"
}
run() { # tree name clip sop fps [bare: no evidence written, as `analyze` does by default]
  tree=$1 name=$2 clip=$3 sop=$4 fps=$5
  tag=$(basename "$tree")-$name
  if [ "${6:-}" = bare ]; then
    ( cd "$tree" && timed "$tag" node bin/sopwatch.mjs analyze "$clip" --sop "$sop" --fps "$fps" --json )
  else
    ( cd "$tree" && timed "$tag" node bin/sopwatch.mjs analyze "$clip" --sop "$sop" --fps "$fps" --evidence "$OUT/$tag.evidence" --json )
  fi
}
for tree in "$BASE" "$AFTER"; do
  run "$tree" bottles "$MEDIA/intel_bottle-detection.mp4" test/fixtures/sop/bottles.yaml 5
  run "$tree" fruit "$MEDIA/intel_fruit-and-vegetable-detection.gif" eval/sops/conveyor.yaml 5
  run "$tree" person "$MEDIA/intel_one-by-one-person-detection.mp4" test/fixtures/sop/station-visit.yaml 5
  run "$tree" person-bare "$MEDIA/intel_one-by-one-person-detection.mp4" test/fixtures/sop/station-visit.yaml 5 bare
  ( cd "$tree" && timed "$(basename "$tree")-demo" node bin/sopwatch.mjs demo --out "$OUT/$(basename "$tree")-demo" )
  ( cd "$tree" && timed "$(basename "$tree")-eval" node bin/sopwatch.mjs eval eval/labels/ )
done
