"""Make reference values for DinoSeg's per-click kernels with torch and scipy.

Writes tests/DinoSeg.Tests/References/kernels.json (relative to the repo root) with:
  bilinear          torch.nn.functional.interpolate(mode="bilinear", align_corners=False), float32
  gaussian          scipy.ndimage.gaussian_filter(float64, sigma, mode="reflect", truncate=4.0)
  upsampleThenBlur  the bilinear resize in float64 followed by that gaussian (sigma 0 = no blur)
Every array is a row-major flat list; inputs are float32 values in [-1, 1] from
numpy.random.default_rng(42); all floats are stored as float32 rounded to 7 significant digits.

Rerun from the repo root (deterministic; uses Debian's torch 1.13 / scipy):
  /usr/bin/python3 tools/reference/make_kernel_references.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "DinoSeg.Tests", "References",
                   "kernels.json")
TRUNCATE = 4.0
rng = np.random.default_rng(42)


def rand(rows, cols):
    return rng.uniform(-1.0, 1.0, size=(rows, cols)).astype(np.float32)


def sig(a):
    return [float(f"{v:.7g}") for v in np.asarray(a, dtype=np.float32).ravel().tolist()]


def bilinear(x, rows, cols):
    t = torch.from_numpy(np.ascontiguousarray(x))[None, None]
    return F.interpolate(t, size=(rows, cols), mode="bilinear", align_corners=False)[0, 0].numpy()


def blur(x, sigma):
    return gaussian_filter(x.astype(np.float64), sigma, mode="reflect", truncate=TRUNCATE)


def blur_by_hand(x, sigma):
    """Separable blur with explicit 'reflect' indexing (d c b a | a b c d | d c b a, period
    2n, repeated as often as needed); used only to confirm what scipy does."""
    radius = int(TRUNCATE * sigma + 0.5)
    offs = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 * (offs / sigma) ** 2)
    w /= w.sum()
    for axis in (0, 1):
        n = x.shape[axis]
        idx = (np.arange(n)[:, None] + offs[None, :]) % (2 * n)
        idx = np.where(idx >= n, 2 * n - 1 - idx, idx)  # [n, taps] source index per tap
        x = np.moveaxis((np.moveaxis(x, axis, -1)[..., idx] * w).sum(-1), -1, axis)
    return x


def main():
    doc = {"bilinear": [], "gaussian": [], "upsampleThenBlur": []}
    for (ir, ic), (orow, ocol) in [((3, 4), (48, 64)), ((5, 7), (37, 53)), ((1, 1), (9, 6)),
                                   ((4, 4), (64, 64)), ((6, 5), (13, 11)), ((2, 3), (2, 3))]:
        x = rand(ir, ic)
        y = bilinear(x, orow, ocol)
        if (ir, ic) == (orow, ocol):
            assert np.array_equal(x, y)
        doc["bilinear"].append({"inRows": ir, "inCols": ic, "outRows": orow, "outCols": ocol,
                                "input": sig(x), "output": sig(y)})

    for rows, cols, sigma in [(17, 23, 0.5), (17, 23, 1.0), (31, 29, 2.5), (40, 40, 4.0),
                              (9, 7, 3.0), (1, 50, 2.0)]:
        x = rand(rows, cols)
        y = blur(x, sigma)
        # 9x7 sigma 3 has radius 12 > 9: reflect folds back more than once; scipy agrees
        # with the repeated-reflection rule above.
        assert np.allclose(y, blur_by_hand(x.astype(np.float64), sigma), rtol=0, atol=1e-12)
        doc["gaussian"].append({"rows": rows, "cols": cols, "sigma": sigma,
                                "input": sig(x), "output": sig(y)})

    for (ir, ic), (orow, ocol), sigma in [((4, 5), (64, 80), 4.0), ((3, 3), (40, 40), 2.5),
                                          ((6, 4), (96, 64), 0.0)]:
        x = rand(ir, ic)
        up = bilinear(x.astype(np.float64), orow, ocol)
        y = blur(up, sigma) if sigma > 0 else up
        doc["upsampleThenBlur"].append({"inRows": ir, "inCols": ic, "outRows": orow,
                                        "outCols": ocol, "sigma": sigma,
                                        "input": sig(x), "output": sig(y)})

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
