#!/usr/bin/env python3
"""Times the per-click path in Python, the two ways DinoSeg's benchmarks compare against.

* notebook: what the DINOv3 notebook does per click - numpy cosine similarity of the seed patch to all patches,
  torch F.interpolate(bilinear, align_corners=False) to image size, scipy.ndimage.gaussian_filter, threshold.
* best: the fastest plain-Python way we know - torch matmul for the similarities, torch F.interpolate, OpenCV GaussianBlur
  (ksize from 4 sigma, as scipy's truncate=4), threshold.

Same inputs as `dinoseg bench`: random L2-normalised features, patch 16, dim 1024, sigma 4 px, features evicted from the
CPU caches before each click. Prints one JSON object per size.

Run with Debian's interpreter and packages (python3-numpy, python3-scipy, python3-torch, python3-opencv):
    /usr/bin/python3 benchmarks/python/click_bench.py --size 1024x1024 --size 3840x2160 --clicks 30
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F


def random_features(rows, cols, dim, rng):
    f = rng.standard_normal((rows * cols, dim), dtype=np.float32)
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    return f


def notebook_click(features, rows, cols, seed_index, height, width, sigma, threshold):
    seed = features[seed_index]
    sim = features @ seed / (np.linalg.norm(features, axis=1) * np.linalg.norm(seed))
    up = F.interpolate(torch.from_numpy(sim.reshape(1, 1, rows, cols)), size=(height, width),
                       mode="bilinear", align_corners=False)[0, 0].numpy()
    smooth = scipy.ndimage.gaussian_filter(up, sigma, mode="reflect", truncate=4.0)
    return smooth >= threshold


def best_click(features_t, rows, cols, seed_index, height, width, sigma, threshold):
    sim = features_t @ features_t[seed_index]
    up = F.interpolate(sim.view(1, 1, rows, cols), size=(height, width), mode="bilinear", align_corners=False)[0, 0]
    radius = int(4 * sigma + 0.5)
    smooth = cv2.GaussianBlur(up.numpy(), (2 * radius + 1, 2 * radius + 1), sigma, borderType=cv2.BORDER_REFLECT)
    return smooth >= threshold


def time_clicks(click, clicks, evict, n_patches, rng):
    times = []
    for _ in range(clicks):
        seed = int(rng.integers(n_patches))
        evict()
        t0 = time.perf_counter()
        click(seed)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(0.9 * len(times))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", action="append", default=None, help="WxH, repeatable (default 1024x1024 and 3840x2160)")
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--sigma", type=float, default=4.0)
    parser.add_argument("--clicks", type=int, default=30)
    args = parser.parse_args()
    sizes = args.size or ["1024x1024", "3840x2160"]
    rng = np.random.default_rng(42)

    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        rows, cols = height // 16, width // 16
        features = random_features(rows, cols, args.dim, rng)
        features_t = torch.from_numpy(features)
        big = np.ones(max(16 << 20, 2 * features.size), dtype=np.float32)  # >= 64 MiB

        def evict():
            big.__iadd__(1.0)  # read and write a buffer larger than the caches

        for _ in range(3):  # warm-up
            notebook_click(features, rows, cols, 0, height, width, args.sigma, 0.1)
            best_click(features_t, rows, cols, 0, height, width, args.sigma, 0.1)
        nb50, nb90 = time_clicks(lambda s: notebook_click(features, rows, cols, s, height, width, args.sigma, 0.1),
                                 args.clicks, evict, rows * cols, rng)
        best50, best90 = time_clicks(lambda s: best_click(features_t, rows, cols, s, height, width, args.sigma, 0.1),
                                     args.clicks, evict, rows * cols, rng)
        print(json.dumps({
            "size": size, "dim": args.dim, "sigma": args.sigma, "clicks": args.clicks,
            "notebookMs": round(nb50, 3), "notebookP90Ms": round(nb90, 3),
            "bestMs": round(best50, 3), "bestP90Ms": round(best90, 3),
            "torchThreads": torch.get_num_threads(), "cpus": os.cpu_count(),
            "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__, "opencv": cv2.__version__},
        }))


if __name__ == "__main__":
    main()
