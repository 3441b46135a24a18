#!/usr/bin/env python3
"""Held-out check of the CRF's settings, from the eval JSON files that crf-grid.sh writes.

The 40 photos are split into two fixed halves: sorted by name, half A holds the even indices (0, 2, ...), half B the
odd ones. A setting is chosen on one half and scored on the other, so its score there was not fitted to those photos.

A setting's score on a set of photos is IoU@1 - NoC@90 / 20: the one-click IoU and the share of the 20-click budget
spent reaching 0.90, on the same [0, 1] scale, so neither measure is ignored. The choice on a half is the setting with
the highest score there; the check passes when each half's choice beats `--refine none` on the other half in both
IoU@1 and NoC@90, and the chosen settings are not worse than `--refine none` on the composites (IoU@1 and NoC@90 over
the whole group: the composites are not split, 7 images are too few to halve).

    python3 tools/evalset/crf-heldout.py DIR      (DIR: the JSON files, none.json among them)
"""
import glob
import json
import os
import sys

MAX_CLICKS = 20


def load(path):
    images = json.load(open(path))["images"]
    return {(i["group"], i["name"]): i for i in images}


def iou_after(image, click):
    ious = image["ious"]
    return ious[min(click, len(ious)) - 1]


def stats(run, keys):
    n = len(keys)
    return {
        "iou1": sum(run[k]["firstClickIoU"] for k in keys) / n,
        "iou2": sum(iou_after(run[k], 2) for k in keys) / n,
        "iou3": sum(iou_after(run[k], 3) for k in keys) / n,
        "noc85": sum(run[k]["noc85"] for k in keys) / n,
        "noc90": sum(run[k]["noc90"] for k in keys) / n,
    }


def score(s):
    return s["iou1"] - s["noc90"] / MAX_CLICKS


def fmt(s):
    return f"IoU@1 {s['iou1']:.3f}  IoU@2 {s['iou2']:.3f}  IoU@3 {s['iou3']:.3f}  NoC@85 {s['noc85']:4.1f}  NoC@90 {s['noc90']:4.1f}"


def main(directory):
    runs = {os.path.basename(p)[:-5]: load(p) for p in sorted(glob.glob(os.path.join(directory, "*.json")))}
    if "none" not in runs:
        sys.exit(f"expected none.json (eval --refine none) in {directory}, found {sorted(runs)}; fix: run crf-grid.sh")
    none = runs.pop("none")
    photos = sorted(k for k in none if k[0] == "photos")
    composites = sorted(k for k in none if k[0] == "composites")
    halves = {"A": photos[0::2], "B": photos[1::2]}
    for name, run in runs.items():
        if sorted(run) != sorted(none):
            sys.exit(f"{name}.json: expected the same images as none.json, found a different set; fix: rerun it")

    print(f"halves (photos sorted by name): A = even indices ({len(halves['A'])}), B = odd ({len(halves['B'])})")
    print("A: " + " ".join(n for _, n in halves["A"]))
    print("B: " + " ".join(n for _, n in halves["B"]))
    print()
    table = {name: {h: stats(run, keys) for h, keys in halves.items()} | {"all": stats(run, photos), "comp": stats(run, composites)}
             for name, run in runs.items()}
    base = {h: stats(none, keys) for h, keys in halves.items()} | {"all": stats(none, photos), "comp": stats(none, composites)}
    print(f"{'setting':24} {'score A':>8} {'score B':>8} {'score all':>9}   composites")
    print(f"{'none':24} {score(base['A']):8.3f} {score(base['B']):8.3f} {score(base['all']):9.3f}   {fmt(base['comp'])}")
    for name, t in sorted(table.items(), key=lambda kv: -score(kv[1]["all"])):
        print(f"{name:24} {score(t['A']):8.3f} {score(t['B']):8.3f} {score(t['all']):9.3f}   {fmt(t['comp'])}")
    print()

    whole = max(table, key=lambda n: score(table[n]["all"]))
    passed = True
    picks = {}
    for fit, test in (("A", "B"), ("B", "A")):
        pick = max(table, key=lambda n: score(table[n][fit]))
        picks[fit] = pick
        held, ref = table[pick][test], base[test]
        beats = held["iou1"] > ref["iou1"] and held["noc90"] < ref["noc90"]
        passed &= beats
        print(f"fit on {fit}: {pick}; on {test}: {fmt(held)}")
        print(f"{'':10}none on {test}: {fmt(ref)}  -> {'beats none' if beats else 'DOES NOT beat none'} on {test}")
    print(f"whole-set fit: {whole}")

    agree = picks["A"] == picks["B"] == whole
    if agree:
        chosen = whole
    else:
        # The held-out choices disagree with the whole-set fit: keep the one whose gain over none on the half it was not
        # fitted on is largest.
        gains = {fit: score(table[picks[fit]][test]) - score(base[test]) for fit, test in (("A", "B"), ("B", "A"))}
        chosen = picks[max(gains, key=gains.get)]
    comp, ref = table[chosen]["comp"], base["comp"]
    composites_ok = comp["iou1"] >= ref["iou1"] and comp["noc90"] <= ref["noc90"]
    passed &= composites_ok
    print(f"chosen: {chosen} ({'the held-out choices agree with the whole-set fit' if agree else 'best held-out gain'})")
    print(f"  photos, whole set: {fmt(table[chosen]['all'])}")
    print(f"  none, whole set:   {fmt(base['all'])}")
    print(f"  composites: {fmt(comp)}  (none: {fmt(ref)}) -> {'not worse' if composites_ok else 'WORSE'}")
    print(f"decision: {'CRF becomes the default' if passed else 'CRF stays opt-in'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
