"""Make GrabCut references for DinoSeg's Refinement.GrabCut with OpenCV's cv2.grabCut (Debian's python3-opencv 4.6).

For each evaluation photo below, a coarse mask like a similarity mask from 16-pixel patches (the truth mask averaged
over 16 x 16 cells, upsampled bilinearly, thresholded at 0.5), its trimap by DinoSeg's rule (square window of radius
r = max(4, round(15 * sqrt(w * h / 1e6))): all inside -> GC_FGD, none -> GC_BGD, else GC_PR_FGD / GC_PR_BGD by the mask;
that is cv2.erode / cv2.dilate with a (2r + 1)^2 square), and OpenCV's result after 5 rounds with GC_INIT_WITH_MASK.
Writes to tests/DinoSeg.Tests/References/grabcut/ (relative to the repo root):
  NAME.coarse.png   the coarse mask, 0/255
  NAME.trimap.png   the trimap, OpenCV codes times 85 (0 GC_BGD, 85 GC_FGD, 170 GC_PR_BGD, 255 GC_PR_FGD)
  NAME.opencv.png   OpenCV's labels after 5 rounds: 255 where GC_FGD or GC_PR_FGD, else 0

  /usr/bin/python3 tools/reference/make_grabcut_references.py            # the references (deterministic)
  /usr/bin/python3 tools/reference/make_grabcut_references.py --time DIR # time cv2.grabCut on a ~1 MP input, and write
      DIR/grabcut-1mp.png (coffee upscaled to 1224 x 816) and DIR/grabcut-1mp.trimap.png for the C# side of the comparison
"""
import math
import os
import sys
import time

import cv2
import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "tests", "DinoSeg.Tests", "References", "grabcut")
PHOTOS = os.path.join(ROOT, "samples", "evalset", "photos")
NAMES = ["coffee", "chelsea-cat", "astronaut-person"]
ITERATIONS = 5


def band_radius(w, h):
    return max(4, int(round(15 * math.sqrt(w * h / 1e6))))


def coarse_mask(truth, cell=16):
    h, w = truth.shape
    small = cv2.resize((truth > 127).astype(np.float32), (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(up >= 0.5, 255, 0).astype(np.uint8)


def trimap(mask, r):
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    inner = cv2.erode(mask, kernel)   # default border: the window is clipped to the image
    outer = cv2.dilate(mask, kernel)
    t = np.where(mask > 0, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    t[inner > 0] = cv2.GC_FGD
    t[outer == 0] = cv2.GC_BGD
    return t


def grabcut(image, t, iterations=ITERATIONS):
    m = t.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, m, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return np.where((m == cv2.GC_FGD) | (m == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)


def references():
    os.makedirs(OUT, exist_ok=True)
    cv2.setRNGSeed(12345)
    for name in NAMES:
        image = cv2.imread(os.path.join(PHOTOS, name + ".png"), cv2.IMREAD_COLOR)
        truth = cv2.imread(os.path.join(PHOTOS, name + ".mask.png"), cv2.IMREAD_GRAYSCALE)
        mask = coarse_mask(truth)
        t = trimap(mask, band_radius(image.shape[1], image.shape[0]))
        result = grabcut(image, t)
        cv2.imwrite(os.path.join(OUT, name + ".coarse.png"), mask)
        cv2.imwrite(os.path.join(OUT, name + ".trimap.png"), (t * 85).astype(np.uint8))
        cv2.imwrite(os.path.join(OUT, name + ".opencv.png"), result)
        iou = lambda a, b: ((a > 0) & (b > 0)).sum() / max(1, ((a > 0) | (b > 0)).sum())
        band = ((t == cv2.GC_PR_FGD) | (t == cv2.GC_PR_BGD)).sum()
        print(f"{name}: {image.shape[1]}x{image.shape[0]}, band {band} px, IoU coarse/truth {iou(mask, truth):.4f}, "
              f"opencv/truth {iou(result, truth):.4f}")


def timing(directory, runs=5):
    os.makedirs(directory, exist_ok=True)
    image = cv2.imread(os.path.join(PHOTOS, "coffee.png"), cv2.IMREAD_COLOR)
    truth = cv2.imread(os.path.join(PHOTOS, "coffee.mask.png"), cv2.IMREAD_GRAYSCALE)
    size = (1224, 816)
    image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    truth = cv2.resize(truth, size, interpolation=cv2.INTER_NEAREST)
    mask = coarse_mask(truth, cell=32)  # the patch grid of a 512-px working size, upsampled to 1224 px
    t = trimap(mask, band_radius(*size))
    cv2.imwrite(os.path.join(directory, "grabcut-1mp.png"), image)
    cv2.imwrite(os.path.join(directory, "grabcut-1mp.trimap.png"), (t * 85).astype(np.uint8))
    cv2.setRNGSeed(12345)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = grabcut(image, t)
        times.append(time.perf_counter() - start)
    cv2.imwrite(os.path.join(directory, "grabcut-1mp.opencv.png"), result)
    band = ((t == cv2.GC_PR_FGD) | (t == cv2.GC_PR_BGD)).sum()
    print(f"cv2.grabCut {size[0]}x{size[1]}, {ITERATIONS} rounds, band {band} px, threads {cv2.getNumThreads()}: "
          f"min {min(times) * 1000:.0f} ms, median {sorted(times)[len(times) // 2] * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--time":
        timing(sys.argv[2])
    else:
        references()
