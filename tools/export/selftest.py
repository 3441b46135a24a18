#!/usr/bin/env python3
"""Run the export path without gated weights: stand-in models always, the official code with random weights
when you point at clones of facebookresearch/dinov3 and facebookresearch/dinov2.

  python tools/export/selftest.py                                   # stand-ins only (seconds)
  python tools/export/selftest.py --dinov3-repo ~/src/dinov3 --dinov2-repo ~/src/dinov2
  python tools/export/selftest.py --keep /tmp/dinoseg-export-test   # keep the .onnx files there

Every case goes through export_dinov3.main exactly as the command line does. With onnxruntime installed each
file is compared with PyTorch at two sizes (one for fixed-size files); without it the script can only check the
graph's structure (one float input `pixel_values`, dynamic or fixed sizes as asked) and says so.

The stand-ins are small models written here with the interfaces the wrapper relies on:
  * DINOv3-like: forward_features(x, masks=None) -> dict, class token + 4 registers, RoPE computed from the
    traced patch grid, attention through F.scaled_dot_product_attention;
  * DINOv2-like: a learned 4x4 position embedding interpolated the way the official DINOv2 code does it
    (Python floats from the image size), which a plain trace freezes; the script's replacement must fix it.

Old torch: the official DINOv3 code needs torch >= 2.4 to import (torch._dynamo, torch.compiler,
torch.amp.custom_fwd, torchvision.transforms.v2 and several pip packages from its requirements.txt). For a
test on an older torch (Debian 12 ships 1.13) this script stubs exactly those names before the hub import;
the ViT backbone itself then runs unchanged. That is a test device only: real exports need torch >= 2.4.
"""
from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import importlib.util
import math
import os
import sys
import tempfile
import types

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_dinov3 as ex  # noqa: E402


# --------------------------------------------------------------------------------------------------------------
# Stand-ins


def make_blocks(dim, depth):
    return nn.ModuleList(nn.ModuleDict({
        "norm1": nn.LayerNorm(dim), "qkv": nn.Linear(dim, 3 * dim), "proj": nn.Linear(dim, dim),
        "norm2": nn.LayerNorm(dim), "fc1": nn.Linear(dim, 4 * dim), "fc2": nn.Linear(4 * dim, dim),
    }) for _ in range(depth))


def run_blocks(blocks, x, heads, position):
    """Pre-norm blocks; `position` rotates q and k ([B, heads, N, head]) or leaves them."""
    b, n, d = x.shape
    for blk in blocks:
        q, k, v = blk["qkv"](blk["norm1"](x)).reshape(b, n, 3, heads, d // heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        attn = F.scaled_dot_product_attention(position(q), position(k), v)  # export_dinov3 supplies one on torch < 2
        x = x + blk["proj"](attn.transpose(1, 2).reshape(b, n, d))
        x = x + blk["fc2"](F.gelu(blk["fc1"](blk["norm2"](x))))
    return x


class StandInDinov3(nn.Module):
    """Tiny DINOv3-shaped ViT/16: patch conv, CLS + registers, pre-norm blocks with axial RoPE on patch tokens."""

    def __init__(self, dim=32, heads=2, depth=2, registers=4, patch=16):
        super().__init__()
        self.embed_dim, self.heads, self.patch_size, self.n_storage_tokens = dim, heads, patch, registers
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.storage_tokens = nn.Parameter(torch.randn(1, registers, dim))
        self.mask_token = nn.Parameter(torch.zeros(1, dim))
        self.blocks = make_blocks(dim, depth)
        self.norm = nn.LayerNorm(dim)
        head = dim // heads
        self.register_buffer("periods", 100.0 ** (torch.arange(head // 4, dtype=torch.float32) / (head // 4)))

    def rope(self, rows, cols):
        """sin, cos [rows*cols, head] from the grid size (traced tensors during export)."""
        y = (torch.arange(0.5, rows, dtype=torch.float32) / rows) * 2 - 1
        x = (torch.arange(0.5, cols, dtype=torch.float32) / cols) * 2 - 1
        yy = y[:, None].expand(-1, x.shape[0]).reshape(-1)
        xx = x[None, :].expand(y.shape[0], -1).reshape(-1)
        angles = 2 * math.pi * torch.stack([yy, xx], dim=1)[:, :, None] / self.periods  # [n, 2, head/4]
        angles = angles.reshape(angles.shape[0], -1)
        angles = torch.cat([angles, angles], dim=1)
        return torch.sin(angles), torch.cos(angles)

    @staticmethod
    def rotate(t, sin, cos):
        a, b = t.chunk(2, dim=-1)
        return t * cos + torch.cat([-b, a], dim=-1) * sin

    def forward_features(self, x, masks=None):
        x = self.patch_embed(x)
        rows, cols = x.shape[2], x.shape[3]
        x = x.flatten(2).transpose(1, 2)
        if masks is not None:
            x = torch.where(masks.unsqueeze(-1), self.mask_token.unsqueeze(0), x)
        b = x.shape[0]
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.storage_tokens.expand(b, -1, -1), x], dim=1)
        sin, cos = self.rope(rows, cols)
        prefix = 1 + self.n_storage_tokens
        x = run_blocks(self.blocks, x, self.heads, lambda t: torch.cat(
            [t[:, :, :prefix], self.rotate(t[:, :, prefix:], sin, cos)], dim=2))
        normed = self.norm(x)
        return {"x_norm_clstoken": normed[:, 0], "x_storage_tokens": normed[:, 1:prefix],
                "x_norm_patchtokens": normed[:, prefix:], "x_prenorm": x, "masks": masks}


class StandInDinov2(nn.Module):
    """Tiny DINOv2-shaped ViT/14 with a learned 4x4 position grid, interpolated as the official code does."""

    def __init__(self, dim=32, heads=2, depth=2, patch=14, grid=4):
        super().__init__()
        self.embed_dim, self.heads, self.patch_size, self.num_register_tokens = dim, heads, patch, 0
        self.interpolate_offset, self.interpolate_antialias = 0.1, False
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + grid * grid, dim))
        self.blocks = make_blocks(dim, depth)
        self.norm = nn.LayerNorm(dim)

    def interpolate_pos_encoding(self, x, height, width):
        n = self.pos_embed.shape[1] - 1
        if x.shape[1] - 1 == n and height == width:
            return self.pos_embed
        m = int(math.sqrt(n))
        rows, cols = height // self.patch_size, width // self.patch_size
        grid = self.pos_embed[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2)
        # Python floats from the size: exactly what a trace freezes.
        scale = (float(rows + self.interpolate_offset) / m, float(cols + self.interpolate_offset) / m)
        grid = F.interpolate(grid, scale_factor=scale, mode="bicubic", align_corners=False)
        return torch.cat([self.pos_embed[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, self.embed_dim)], dim=1)

    def forward_features(self, x, masks=None):
        _, _, height, width = x.shape
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.interpolate_pos_encoding(x, height, width)
        x = run_blocks(self.blocks, x, self.heads, lambda t: t)
        normed = self.norm(x)
        return {"x_norm_clstoken": normed[:, 0], "x_norm_regtokens": normed[:, 1:1],
                "x_norm_patchtokens": normed[:, 1:], "x_prenorm": x, "masks": masks}


def stand_in(family: str) -> ex.Loaded:
    torch.manual_seed(0)
    if family == "dinov3":
        model = StandInDinov3().eval()
        return ex.Loaded(ex.FAMILIES["dinov3"], ex.HubSequence(model, "x_storage_tokens", 4).eval(), 5,
                         model.embed_dim, "DINOv3-like stand-in (random, 32-d)")
    model = StandInDinov2().eval()
    return ex.Loaded(ex.FAMILIES["dinov2"], ex.HubSequence(model, "x_norm_regtokens", 0).eval(), 1,
                     model.embed_dim, "DINOv2-like stand-in (random, 32-d)", hub_dinov2=model)


# --------------------------------------------------------------------------------------------------------------
# Test-only stubs for the official DINOv3 code on torch < 2.4


def _version(text: str) -> tuple[int, int]:
    return tuple(int("".join(c for c in v if c.isdigit()) or 0) for v in text.split(".")[:2])


class _EmptyModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of these missing packages yield empty modules whose attributes are placeholder classes."""

    def __init__(self, roots):
        self.roots = roots

    def find_spec(self, name, path, target=None):
        root = name.split(".")[0]
        if root in self.roots and importlib.machinery.PathFinder.find_spec(root) is None:
            return importlib.util.spec_from_loader(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: type(attr, (), {"__init__": lambda self, *a, **k: None})
        return module

    def exec_module(self, module):
        pass


def stub_for_old_torch() -> list[str]:
    """Make `import hubconf` of facebookresearch/dinov3 work on an old torch. Returns what was stubbed."""
    done = []
    placeholder = lambda name: type(name, (), {"__init__": lambda self, *a, **k: None})  # noqa: E731
    if not hasattr(torch, "_dynamo"):
        dynamo = types.ModuleType("torch._dynamo")
        dynamo.config = types.SimpleNamespace()
        torch._dynamo = sys.modules["torch._dynamo"] = dynamo
        done.append("torch._dynamo.config (torch 2.0)")
    if not hasattr(torch, "compiler"):
        torch.compiler = types.SimpleNamespace(allow_in_graph=lambda f: f, is_compiling=lambda: False)
        done.append("torch.compiler.allow_in_graph (torch 2.1)")
    from torch import amp
    if not hasattr(amp, "custom_fwd"):
        amp.custom_fwd = amp.custom_bwd = lambda fn=None, **_: fn if callable(fn) else (lambda f: f)
        done.append("torch.amp.custom_fwd/custom_bwd (torch 2.4)")
    try:
        import torchvision.transforms as tvt
        try:
            from torchvision.transforms import v2  # noqa: F401
        except ImportError:
            v2 = types.ModuleType("torchvision.transforms.v2")
            v2.__getattr__ = lambda name: getattr(tvt, name, None) or placeholder(name)
            tvt.v2 = sys.modules["torchvision.transforms.v2"] = v2
            done.append("torchvision.transforms.v2 (torchvision 0.15)")
    except ImportError:
        pass  # torchvision itself missing: _EmptyModules covers it below
    roots = ("torchvision", "torchmetrics", "termcolor", "ftfy", "regex", "submitit", "sklearn", "iopath", "pandas",
             "omegaconf")
    missing = [r for r in roots if importlib.machinery.PathFinder.find_spec(r) is None]
    if missing:
        sys.meta_path.insert(0, _EmptyModules(tuple(missing)))
        done.append("empty modules for missing packages: " + ", ".join(missing))
    if _version(torch.__version__) < (2, 0):
        from torch.onnx import symbolic_helper as sh

        def tile(g, self, dims):  # torch 1.13's exporter has no aten::tile; DINOv3's RoPE uses Tensor.tile
            reps = list(sh._maybe_get_const(dims, "is"))
            reps = [1] * (sh._get_tensor_rank(self) - len(reps)) + reps
            return g.op("Tile", self, g.op("Constant", value_t=torch.tensor(reps, dtype=torch.int64)))

        torch.onnx.register_custom_op_symbolic("aten::tile", tile, 9)
        done.append("ONNX symbolic for aten::tile (torch 2.0)")
    return done


# --------------------------------------------------------------------------------------------------------------


def structure_ok(path: str, dynamic: bool) -> str:
    """Without onnxruntime: one float input [1, 3, H, W] (symbolic or fixed as asked), float first output."""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    inputs = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    if len(inputs) != 1:
        return f"{len(inputs)} inputs"
    dims = inputs[0].type.tensor_type.shape.dim
    symbolic = [bool(d.dim_param) for d in dims]
    if inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT or len(dims) != 4:
        return "input is not float32 rank 4"
    if symbolic[2:] != [dynamic, dynamic]:
        return f"input dims {[d.dim_param or d.dim_value for d in dims]}"
    if graph.output[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        return "first output is not float32"
    return ""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dinov3-repo", help="clone of facebookresearch/dinov3: also export its ViT-S/16 with random weights")
    p.add_argument("--dinov2-repo", help="clone of facebookresearch/dinov2: also export ViT-S/14 (and _reg) with random weights")
    p.add_argument("--keep", metavar="DIR", help="write the .onnx files here (default: a temporary folder, removed)")
    args = p.parse_args()

    try:
        import onnxruntime  # noqa: F401
        have_ort = True
    except ImportError:
        have_ort = False
        print("onnxruntime is not installed: files are checked for structure only, not against PyTorch\n")
    out_dir = args.keep or tempfile.mkdtemp(prefix="dinoseg-export-selftest-")
    os.makedirs(out_dir, exist_ok=True)

    v3 = lambda: stand_in("dinov3")  # noqa: E731
    v2 = lambda: stand_in("dinov2")  # noqa: E731
    cases = [  # (name, family, loader or None, extra argv, dynamic)
        ("standin-v3-tokens", "dinov3", v3, ["--check-size", "64x48", "--check-size", "96x160"], True),
        ("standin-v3-patches", "dinov3", v3, ["--output", "patches", "--check-size", "64x48", "--check-size", "96x160"], True),
        ("standin-v3-map", "dinov3", v3, ["--output", "map", "--check-size", "64x48", "--check-size", "96x160"], True),
        ("standin-v3-static", "dinov3", v3, ["--static-size", "80x48"], False),
        ("standin-v2-tokens", "dinov2", v2, ["--check-size", "56x42", "--check-size", "126x70", "--check-size", "56x56"], True),
        ("standin-v2-static", "dinov2", v2, ["--static-size", "70x42"], False),
    ]
    if args.dinov3_repo:
        stubbed = stub_for_old_torch() if _version(torch.__version__) < (2, 4) else []
        if stubbed:
            print(f"torch {torch.__version__}: test-only stubs so that the DINOv3 hub code imports: " + "; ".join(stubbed))
        hub = ["--hub-repo", args.dinov3_repo, "--random-weights"]
        cases += [("official-dinov3_vits16", "dinov3", None, hub + ["--arch", "dinov3_vits16"], True),
                  ("official-dinov3_vits16plus-map", "dinov3", None, hub + ["--arch", "dinov3_vits16plus", "--output", "map"], True)]
    if args.dinov2_repo:
        hub = ["--hub-repo", args.dinov2_repo, "--random-weights"]
        cases += [("official-dinov2_vits14", "dinov2", None, hub + ["--arch", "dinov2_vits14", "--check-size", "518x518",
                                                                    "--check-size", "476x322"], True),
                  ("official-dinov2_vits14_reg", "dinov2", None, hub + ["--arch", "dinov2_vits14_reg", "--static-size", "518x518"], False)]

    results = []
    for name, family, loader, extra, dynamic in cases:
        path = os.path.join(out_dir, name + ".onnx")
        argv = ["--family", family, "--out", path] + extra + ([] if have_ort else ["--no-check"])
        print(f"\n=== {name}: export_dinov3.py {' '.join(argv)}")
        rc = ex.main(argv, loaded=loader() if loader else None)
        if rc == 0 and not have_ort:
            problem = structure_ok(path, dynamic)
            results.append((name, "structure only: " + (problem or "ok"), not problem))
        else:
            results.append((name, "checked against PyTorch: ok" if rc == 0 else f"FAILED (exit {rc})", rc == 0))

    print("\nsummary")
    for name, text, _ in results:
        print(f"  {name:34s} {text}")
    if not args.keep:
        import shutil
        shutil.rmtree(out_dir, ignore_errors=True)
    else:
        print(f"files in {out_dir}")
    return 0 if all(ok for *_, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
