#!/usr/bin/env bash
# Runs `dinoseg eval` once per CRF setting of a small grid around CrfOptions' defaults (and once with --refine none),
# one JSON per run in OUT, for crf-heldout.py to score on two fixed halves of the photos.
#   bash tools/evalset/crf-grid.sh OUT      (then: python3 tools/evalset/crf-heldout.py OUT)
# A run whose JSON already exists is skipped, so an interrupted grid resumes.
set -euo pipefail
out=$(realpath -m "${1:?usage: crf-grid.sh OUT}")
cd "$(dirname "$0")/../.."
mkdir -p "$out"
dotnet build samples/DinoSeg.Cli -c Release -v q -nologo >/dev/null
eval_json() { # NAME OPTIONS...
  local name=$1; shift
  [[ -s "$out/$name.json" ]] && return
  dotnet artifacts/bin/DinoSeg.Cli/release/DinoSeg.Cli.dll eval samples/evalset --device cpu --json "$@" > "$out/$name.json.tmp"
  mv "$out/$name.json.tmp" "$out/$name.json"
}
eval_json none --refine none
# T x bilateral weight at the default widths (θα 40, θβ 8), smoothness kernel 1,1 throughout.
for t in 0.05 0.1 0.15; do
  for w in 3 5 8; do
    eval_json "crf_T${t}_b${w},40,8" --refine crf --crf-temperature "$t" --crf-bilateral "$w,40,8"
  done
done
# The bilateral widths, two values each side of the default, at T 0.1 and w1 5.
for sa in 25 60; do
  for sc in 5 12; do
    eval_json "crf_T0.1_b5,${sa},${sc}" --refine crf --crf-temperature 0.1 --crf-bilateral "5,$sa,$sc"
  done
done
