#!/usr/bin/env python3
"""Builds DinoSeg's evaluation set (samples/evalset/) from photos shipped in Debian's python3-skimage.

Two kinds of items:
  * photos with masks from a documented procedure (threshold + morphology + connected components, or GrabCut
    from a hand-chosen box with hand-chosen corrections); every mask was inspected overlaid on its photo;
  * composites of real CC0 textures (brick, grass, gravel) cut by a real silhouette or a drawn shape, where the mask is
    exact by construction.

Run with Debian's python3 (numpy, scipy, opencv 4.6, skimage 0.19):  /usr/bin/python3 tools/evalset/make_evalset.py [OUT]
OUT defaults to samples/evalset; photos go to OUT/photos/, composites to OUT/composites/ (the traced photos in
OUT/photos/ come from tools/evalset/make_photos.py instead). Add --preview DIR to also write photo+mask overlays for
review. Deterministic: GrabCut is seeded (cv2.setRNGSeed).
CI never runs this; its outputs are committed.
"""
import os
import sys

import cv2
import numpy as np
import skimage.data as data
from scipy import ndimage as ndi

LONG_SIDE = 512


def bgr(rgb):
    return np.ascontiguousarray(rgb[..., ::-1])


def fit(image_bgr):
    """Downscales (area averaging) so the long side is at most LONG_SIDE."""
    h, w = image_bgr.shape[:2]
    scale = LONG_SIDE / max(h, w)
    if scale >= 1:
        return image_bgr
    return cv2.resize(image_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def largest_components(mask, keep=1, min_area=0):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    order = np.argsort(-areas)
    out = np.zeros(mask.shape, bool)
    for i in order[:keep]:
        if areas[i] >= min_area:
            out |= labels == i + 1
    return out


def fill_holes(mask):
    return ndi.binary_fill_holes(mask)


def grabcut(image_bgr, rect, fg=(), bg=(), iterations=8):
    """GrabCut: probable foreground inside the box, background outside; fg/bg are hand-chosen corrections as
    (x0, y0, x1, y1) rectangles marked sure foreground / background before the first iteration."""
    cv2.setRNGSeed(1234)
    mask = np.full(image_bgr.shape[:2], cv2.GC_BGD, np.uint8)
    x0, y0, x1, y1 = rect
    mask[y0:y1, x0:x1] = cv2.GC_PR_FGD
    for a, b, c, d in fg:
        mask[b:d, a:c] = cv2.GC_FGD
    for a, b, c, d in bg:
        mask[b:d, a:c] = cv2.GC_BGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image_bgr, mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def tidy(mask, open_px=2, close_px=2, keep=1):
    """Opening then closing with small discs, keep the largest component(s), fill holes."""
    m = mask.astype(np.uint8)
    if open_px:
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * open_px + 1,) * 2))
    if close_px:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * close_px + 1,) * 2))
    return fill_holes(largest_components(m, keep))


# ---------------------------------------------------------------- photos with procedural masks

def chelsea():
    img = bgr(data.chelsea())  # 451x300
    m = grabcut(img, (0, 0, 451, 300), bg=((420, 0, 451, 120), (0, 0, 40, 20)), fg=((100, 80, 380, 280),))
    return img, tidy(m, 2, 4), ("GrabCut, box = whole frame; corrections: (420,0)-(451,120) and (0,0)-(40,20) sure background, "
                                "(100,80)-(380,280) sure foreground (the face)")


def coffee():
    img = fit(bgr(data.coffee()))  # 600x400 -> 512x341: cup and saucer
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    # Cup and saucer glaze is far more saturated (S ≥ 205) than the wooden table (S 160-185).
    m = cv2.GaussianBlur(hsv[..., 1], (0, 0), 1.0) >= 205
    return img, tidy(m, 4, 6), ("downscaled to 512x341 (area); the red glaze of cup and saucer (not the cup's white inside): HSV saturation (Gaussian σ 1) ≥ 205; "
                                "open 4, close 6, largest component, holes filled (spoon reflections)")


def rocket():
    img = fit(bgr(data.rocket()))  # 640x427 -> 512x342: sky above the pad
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    sky = (hsv[..., 0] >= 95) & (hsv[..., 0] <= 130) & (hsv[..., 1] >= 30) & (hsv[..., 2] >= 45)
    sky = cv2.morphologyEx(sky.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # No hole filling: the rocket and towers stand inside the sky and must stay out of it.
    return img, largest_components(sky, keep=8, min_area=2000), (
        "downscaled to 512x342 (area); sky: HSV hue 95-130 (OpenCV scale), saturation ≥ 30, value ≥ 45; open 3x3, "
        "components ≥ 2000 px (the towers split the sky)")


def coins():
    grey = data.coins()  # 384x303, grey
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.5)
    # The background is uneven: threshold against a wide local mean instead of one global value.
    local = cv2.blur(smooth.astype(np.float32), (61, 61))
    m = smooth.astype(np.float32) > local + 8
    m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    m = fill_holes(m)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8))
    keep = np.zeros(m.shape, bool)
    for i in range(1, n):
        x, y, w, h = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_TOP], stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        # No coin touches the frame; the bright strip along the photo's top edge does.
        touches = x == 0 or y == 0 or x + w == m.shape[1] or y + h == m.shape[0]
        if stats[i, cv2.CC_STAT_AREA] >= 150 and not touches:
            keep |= labels == i
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    return img, keep, ("all coins: Gaussian σ 1.5, pixel > local 61x61 mean + 8, open 5x5, holes filled, "
                       "components ≥ 150 px not touching the frame")


def camera():
    grey = data.camera()  # 512x512 cameraman
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    # The coat, hair and camera are the darkest things in the picture; the tripod's thin legs are dropped by the opening.
    m = cv2.GaussianBlur(grey, (0, 0), 1.5) < 50
    return img, tidy(m, 3, 5), "man and camera: Gaussian σ 1.5, grey < 50; open 3, close 5, largest component, holes filled"



# ---------------------------------------------------------------- composites, exact masks

def texture(name):
    return getattr(data, name)()


def composite(inside, outside, shape_mask, tint_in=(1.0, 1.0, 1.0), tint_out=(1.0, 1.0, 1.0)):
    h, w = shape_mask.shape
    a = texture(inside)[:h, :w].astype(np.float32)
    b = texture(outside)[:h, :w].astype(np.float32)
    rgb_in = np.stack([a * t for t in tint_in], -1)
    rgb_out = np.stack([b * t for t in tint_out], -1)
    out = np.where(shape_mask[..., None], rgb_in, rgb_out)
    return np.clip(out, 0, 255).astype(np.uint8)[..., ::-1].copy()


def square_shape(h=400, w=480):
    m = np.zeros((h, w), np.uint8)
    box = cv2.boxPoints(((250, 200), (220, 220), 30)).astype(np.int32)
    cv2.fillPoly(m, [box], 1)
    return m.astype(bool)


def band_shape(h=384, w=512):
    yy, xx = np.mgrid[:h, :w]
    d = (xx - yy * 1.2 - 60) / np.hypot(1, 1.2)  # signed distance to a line through (60, 0)
    return np.abs(d) <= 70


def grass_in_photo():
    img = bgr(data.chelsea())
    h, w = img.shape[:2]
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (300, 200), (90, 60), 15, 0, 360, 1, -1)
    m = m.astype(bool)
    g = data.grass()[:h, :w].astype(np.float32)
    patch = np.clip(np.stack([g * 0.5, g * 1.0, g * 0.6], -1), 0, 255).astype(np.uint8)  # B, G, R
    return np.where(m[..., None], patch, img), m


def horse_shape():
    return ~data.horse()  # the skimage silhouette is black on white


def disk_shape(h=400, w=400, cx=190, cy=210, r=120):
    yy, xx = np.mgrid[:h, :w]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def blobs_shape():
    # Three ellipses: a "stuff" region made of several parts.
    m = np.zeros((384, 512), np.uint8)
    cv2.ellipse(m, (120, 120), (80, 55), 20, 0, 360, 1, -1)
    cv2.ellipse(m, (370, 110), (70, 60), 0, 0, 360, 1, -1)
    cv2.ellipse(m, (260, 290), (120, 50), -10, 0, 360, 1, -1)
    return m.astype(bool)



ITEMS = [
    ("coffee", coffee, "png", "coffee.png: espresso cup and saucer. CC0 (Rachel Michetti)"),
    ("rocket-sky", rocket, "jpg", "rocket.jpg: DSCOVR launch pad, SpaceX. Public domain"),
    ("coins", coins, "png", "coins.png: Greek coins from Pompeii, Brooklyn Museum collection. No known copyright restrictions"),
    ("camera", camera, "png", "camera.png: cameraman, photographer Lav Varshney. CC0"),
]

COMPOSITES = [
    ("grass-horse-on-gravel", lambda: (composite("grass", "gravel", horse_shape(), (0.6, 1.0, 0.5), (1.0, 0.95, 0.9)), horse_shape()),
     "grass inside the horse silhouette (horse.png, CC0, Andreas Preuss), gravel outside; tinted green / warm grey"),
    ("brick-disk-on-grass", lambda: (composite("brick", "grass", disk_shape(), (1.0, 0.7, 0.55), (0.6, 1.0, 0.5)), disk_shape()),
     "brick inside a disk (r 120) on grass; tinted red / green"),
    ("gravel-blobs-on-brick", lambda: (composite("gravel", "brick", blobs_shape()), blobs_shape()),
     "gravel inside three ellipses on brick, both grey (texture only, no colour cue)"),
    ("grass-horse-on-brick", lambda: (composite("grass", "brick", horse_shape()), horse_shape()),
     "grass inside the horse silhouette on brick, both grey (texture only)"),
    ("gravel-square-on-grass", lambda: (composite("gravel", "grass", square_shape(), (0.9, 0.9, 1.0), (0.6, 1.0, 0.5)), square_shape()),
     "gravel inside a square rotated 30° (side 220) on grass; tinted cool grey / green"),
    ("brick-band-on-gravel", lambda: (composite("brick", "gravel", band_shape()), band_shape()),
     "brick in a diagonal band (width 140) across gravel, both grey (texture only)"),
    ("grass-patch-in-chelsea", grass_in_photo, "an ellipse of green-tinted grass pasted into chelsea.png (CC0) over the cat's cheek"),
]


def overlay(img, mask):
    out = img.astype(np.float32).copy()
    red = np.array([0, 0, 255], np.float32)
    out[mask] = 0.55 * out[mask] + 0.45 * red
    edge = mask ^ ndi.binary_erosion(mask, iterations=1)
    out[edge] = (0, 255, 255)
    return out.astype(np.uint8)


def main():
    args = sys.argv[1:]
    preview = None
    if "--preview" in args:
        i = args.index("--preview")
        preview = args[i + 1]
        del args[i:i + 2]
    out = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..", "samples", "evalset")
    if preview:
        os.makedirs(preview, exist_ok=True)
    rows = []
    for name, make, ext, source in ITEMS:
        img, mask, procedure = make()
        rows.append(("photos", name, ext, source, procedure, img, mask))
    for name, make, procedure in COMPOSITES:
        img, mask = make()
        rows.append(("composites", name, "png", "composite of CC0 textures from python3-skimage (brick.png, grass.png, gravel.png: cc0textures.com)", procedure, img, mask))
    for group, name, ext, source, procedure, img, mask in rows:
        assert max(img.shape[:2]) <= LONG_SIDE, name
        folder = os.path.join(out, group)
        os.makedirs(folder, exist_ok=True)
        params = [cv2.IMWRITE_JPEG_QUALITY, 90] if ext == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 9]
        cv2.imwrite(os.path.join(folder, f"{name}.{ext}"), img, params)
        cv2.imwrite(os.path.join(folder, f"{name}.mask.png"), mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if preview:
            cv2.imwrite(os.path.join(preview, f"{name}.png"), overlay(img, mask.astype(bool)))
        print(f"{group}/{name}: {img.shape[1]}x{img.shape[0]}, object {mask.mean():.1%}")


if __name__ == "__main__":
    main()
