#!/usr/bin/env bash
# Upper bound of any threshold rule: the one-click IoU per image at the best of a ladder of fixed thresholds, averaged per
# group, beside each fixed threshold's mean. Extra eval options pass through (e.g. --refine grabcut).
#   bash tools/evalset/threshold-oracle.sh [EVAL OPTIONS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build samples/DinoSeg.Cli -c Release -v q -nologo >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for t in 0.15 0.2 0.25 0.3 0.35 0.4 0.45 0.5 0.55 0.6 0.7; do
  dotnet artifacts/bin/DinoSeg.Cli/release/DinoSeg.Cli.dll eval samples/evalset --device cpu --json --max-clicks 1 --threshold "$t" "$@" > "$out/$t.json"
done
python3 - "$out" <<'PY'
import glob, json, os, sys
scores = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    t = os.path.basename(path)[:-5]
    for image in json.load(open(path))["images"]:
        scores.setdefault((image["group"], image["name"]), {})[t] = image["firstClickIoU"]
for group in sorted({g for g, _ in scores}):
    rows = [v for (g, _), v in scores.items() if g == group]
    oracle = sum(max(v.values()) for v in rows) / len(rows)
    print(f"{group} ({len(rows)}): best threshold per image {oracle:.3f}; fixed: " +
          ", ".join(f"{t} {sum(v[t] for v in rows) / len(rows):.3f}" for t in sorted(rows[0], key=float)))
PY
