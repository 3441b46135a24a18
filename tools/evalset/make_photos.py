#!/usr/bin/env python3
"""Renders DinoSeg's traced real-photo evaluation items (samples/evalset/photos/) from specs in tools/evalset/photos/.

Each spec NAME.json names a photo that a Debian package ships, the crop and size, and the target's outline traced by
hand as polygons in output pixels (after crop + resize); the mask is the union of the polygons less the holes,
optionally snapped to the photo's edges with GrabCut:

    {
      "name": "dog-dog",                          item name -> NAME.jpg (or .png) + NAME.mask.png
      "source": "/usr/share/darknet/data/dog.jpg",
      "package": "darknet 0.0.0+git20180914.61c9d02e-2+b4",
      "licence": "MIT or GPL-3.0+ or WTFPL (Debian copyright file, Files: *)",
      "target": "the dog (body, legs, tail, head; not the leash)",
      "crop": null,                               or [x0, y0, x1, y1] in source pixels, applied before resizing
      "longSide": 512,                            area-interpolated resize so the long side is this
      "polygons": [[[x, y], ...], ...],           outline(s) in output pixels; the mask is their union
      "holes": [],                                polygons removed from the union
      "snap": {"band": 6, "iterations": 5}        or null: the rasterised polygons as they are
    }

Snap: inside the traced mask eroded by `band` px is sure foreground, outside it dilated by `band` px is sure
background, the band between is probable foreground (inside the trace) or probable background (outside it); GrabCut
(cv2.setRNGSeed(0) before each call) decides the band. Afterwards every mask component that does not touch the traced
mask is dropped, so snapping can never add an unrelated blob. `//` comments in a spec are ignored.

Output: NAME.jpg (JPEG quality 92) for a JPEG source, NAME.png for any other; NAME.mask.png, 8-bit, 255 = target.
Same inputs (spec, source, OpenCV build) give the same bytes.

Run with Debian's python3 (numpy, opencv 4.6):
    /usr/bin/python3 tools/evalset/make_photos.py [--only NAME[,NAME]] [--preview DIR] [--specs DIR] [--out DIR]
--preview DIR also writes NAME.preview.png (mask in semi-transparent red, its outline yellow, the traced polygons
cyan) and NAME.grid.png (the resized photo at 2x with a grid every 32 output px, labelled in output px, for reading
off vertex coordinates). A spec with no polygons yet gets only its grid. CI never runs this; its outputs are committed.
"""
import argparse
import glob
import json
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
JPEG_QUALITY = 92
GRID = 32
GRID_SCALE = 2


def strip_comments(text):
    """Drops // comments outside JSON strings."""
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        spec = json.loads(strip_comments(f.read()))
    for key in ("name", "source", "package", "licence", "target", "longSide", "polygons"):
        if key not in spec:
            raise SystemExit(f"{path}: missing '{key}'")
    spec.setdefault("crop", None)
    spec.setdefault("holes", [])
    spec.setdefault("snap", None)
    return spec


def load_photo(spec):
    img = cv2.imread(spec["source"], cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{spec['name']}: cannot read {spec['source']} (is package {spec['package']} installed?)")
    if spec["crop"]:
        x0, y0, x1, y1 = spec["crop"]
        img = img[y0:y1, x0:x1]
    h, w = img.shape[:2]
    scale = spec["longSide"] / max(h, w)
    size = (round(w * scale), round(h * scale))
    if size != (w, h):
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def raster(shape, polygons):
    """Union of the polygons (each filled on its own: one fillPoly call with several would XOR their overlaps)."""
    m = np.zeros(shape, np.uint8)
    for p in polygons:
        if len(p) >= 3:
            cv2.fillPoly(m, [np.round(np.asarray(p, np.float64)).astype(np.int32).reshape(-1, 1, 2)], 1)
    return m.astype(bool)


def disc(r):
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def snap(img, traced, band, iterations):
    t = traced.astype(np.uint8)
    # The frame is no edge: a trace that runs along it stays sure foreground there (replicated border).
    sure_fg = cv2.erode(t, disc(band), borderType=cv2.BORDER_REPLICATE).astype(bool)
    maybe = cv2.dilate(t, disc(band)).astype(bool)
    gc = np.full(traced.shape, cv2.GC_BGD, np.uint8)
    gc[maybe & ~traced] = cv2.GC_PR_BGD
    gc[traced] = cv2.GC_PR_FGD
    gc[sure_fg] = cv2.GC_FGD
    if not (gc == cv2.GC_FGD).any() or not (gc == cv2.GC_BGD).any():
        raise SystemExit("snap needs some sure foreground and sure background: lower the band")
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(img, gc, None, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_MASK)
    return (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)


def keep_touching(mask, traced):
    """Keeps only the mask components (8-connected) that overlap the traced mask."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    hit = np.unique(labels[traced & mask])
    return np.isin(labels, hit[hit > 0])


def render(spec):
    img = load_photo(spec)
    traced = raster(img.shape[:2], spec["polygons"]) & ~raster(img.shape[:2], spec["holes"])
    mask = traced
    if spec["snap"] and traced.any():
        mask = keep_touching(snap(img, traced, int(spec["snap"]["band"]), spec["snap"].get("iterations", 5)), traced)
    return img, traced, mask


def outline(mask):
    m = mask.astype(np.uint8)
    return m.astype(bool) & ~cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)


def preview_image(img, mask, spec):
    out = img.astype(np.float32)
    out[mask] = 0.55 * out[mask] + 0.45 * np.array([0, 0, 255], np.float32)
    out = out.astype(np.uint8)
    for group, colour in (("polygons", (255, 255, 0)), ("holes", (255, 0, 255))):
        for p in spec[group]:
            if len(p) >= 2:
                cv2.polylines(out, [np.round(np.asarray(p)).astype(np.int32).reshape(-1, 1, 2)], True, colour, 1, cv2.LINE_AA)
    out[outline(mask)] = (0, 255, 255)
    return out


def grid_image(img):
    s = GRID_SCALE
    h, w = img.shape[:2]
    big = cv2.resize(img, (w * s, h * s), interpolation=cv2.INTER_CUBIC)
    pad = 28
    canvas = np.full((h * s + 2 * pad, w * s + 2 * pad, 3), 255, np.uint8)
    canvas[pad:pad + h * s, pad:pad + w * s] = big
    font = cv2.FONT_HERSHEY_SIMPLEX
    for v in range(0, max(w, h) + 1, GRID // 2):
        major = v % GRID == 0
        colour = (0, 255, 0) if major else (0, 160, 255)
        if v <= w:
            x = pad + v * s
            for y in range(pad, pad + h * s, 2 if major else 6):
                canvas[y, min(x, canvas.shape[1] - 1)] = colour
            if major:
                for y in (pad - 8, pad + h * s + 20):
                    cv2.putText(canvas, str(v), (x - 10, y), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        if v <= h:
            y = pad + v * s
            for x in range(pad, pad + w * s, 2 if major else 6):
                canvas[min(y, canvas.shape[0] - 1), x] = colour
            if major:
                cv2.putText(canvas, str(v), (1, y + 4), font, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
                cv2.putText(canvas, str(v), (pad + w * s + 2, y + 4), font, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def table_row(spec):
    """One row of samples/evalset/README.md's table of photo items."""
    img = load_photo(spec)
    ext = "jpg" if os.path.splitext(spec["source"])[1].lower() in (".jpg", ".jpeg") else "png"
    polys = [p for p in spec["polygons"] if len(p) >= 3]
    how = f"traced polygon{'s' if len(polys) > 1 else ''} ({sum(map(len, polys))} vertices"
    if spec["holes"]:
        how += f", {len(spec['holes'])} hole{'s' if len(spec['holes']) > 1 else ''}"
    how += ")"
    how += f" + GrabCut snap, band {spec['snap']['band']}" if spec["snap"] else ", plain (no snap)"
    crop = f"crop {spec['crop']}, " if spec["crop"] else ""
    cell = lambda t: str(t).replace("|", "\\|")
    return (f"| `{spec['name']}.{ext}` | `{spec['source']}` | {cell(spec['package'])} | {cell(spec['licence'])} | "
            f"{cell(spec['target'])} | {crop}{img.shape[1]}x{img.shape[0]}; {how} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated item names")
    ap.add_argument("--preview", help="folder for NAME.preview.png and NAME.grid.png")
    ap.add_argument("--specs", default=os.path.join(HERE, "photos"), help="folder of NAME.json specs")
    ap.add_argument("--out", default=os.path.join(ROOT, "samples", "evalset", "photos"), help="output folder")
    ap.add_argument("--table", action="store_true", help="print the README's markdown table rows for the specs and stop")
    args = ap.parse_args()
    specs = [load_spec(p) for p in sorted(glob.glob(os.path.join(args.specs, "*.json")))]
    if args.only:
        wanted = set(args.only.split(","))
        missing = wanted - {s["name"] for s in specs}
        if missing:
            raise SystemExit(f"no spec for {', '.join(sorted(missing))}")
        specs = [s for s in specs if s["name"] in wanted]
    if args.table:
        for spec in specs:
            print(table_row(spec))
        return
    os.makedirs(args.out, exist_ok=True)
    if args.preview:
        os.makedirs(args.preview, exist_ok=True)
    for spec in specs:
        name = spec["name"]
        img, traced, mask = render(spec)
        if args.preview:
            cv2.imwrite(os.path.join(args.preview, f"{name}.grid.png"), grid_image(img))
        if not traced.any():
            print(f"{name}: no polygons yet, grid only", file=sys.stderr)
            continue
        jpeg = os.path.splitext(spec["source"])[1].lower() in (".jpg", ".jpeg")
        ext = "jpg" if jpeg else "png"
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if jpeg else [cv2.IMWRITE_PNG_COMPRESSION, 9]
        cv2.imwrite(os.path.join(args.out, f"{name}.{ext}"), img, params)
        cv2.imwrite(os.path.join(args.out, f"{name}.mask.png"), mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if args.preview:
            cv2.imwrite(os.path.join(args.preview, f"{name}.preview.png"), preview_image(img, mask, spec))
        inter, union = (mask & traced).sum(), (mask | traced).sum()
        snapped = f", snap band {spec['snap']['band']}: IoU with the trace {inter / union:.3f}" if spec["snap"] else ""
        print(f"{name}: {img.shape[1]}x{img.shape[0]}, target {mask.mean():.1%}{snapped}")


if __name__ == "__main__":
    main()
