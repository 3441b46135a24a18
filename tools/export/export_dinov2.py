#!/usr/bin/env python3
"""Export a DINOv2 ViT (patch 14) to ONNX for DinoSeg: export_dinov3.py with --family dinov2 as the default.

  python tools/export/export_dinov2.py --hub-repo ~/src/dinov2 --arch dinov2_vitb14 \
      --weights ~/weights/dinov2_vitb14_pretrain.pth --out dinov2_vitb14.onnx
  python tools/export/export_dinov2.py --hf ~/models/dinov2-base --out dinov2_vitb14.onnx
  python tools/export/export_dinov2.py ... --static-size 518x518      # fixed size, the safe choice
  python tools/export/export_dinov2.py ... --dynamic-first            # dynamic, else fixed 518x518

DINOv2 adds a learned position embedding (trained at 518x518) that is interpolated to the image's patch grid.
The official code computes that interpolation from Python numbers, which a trace freezes; this script swaps in
an equivalent that follows the image size, and the check at two sizes tells whether the dynamic file is right.
Options and exit codes: see export_dinov3.py and docs/models.md.
"""
import sys

from export_dinov3 import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], default_family="dinov2"))
