#!/usr/bin/env python3
"""Export a DINOv3 (or DINOv2) ViT backbone to ONNX for DinoSeg, then check the file against PyTorch.

The ONNX file this writes is what DinoSeg's OnnxFeatureExtractor expects:
  input  `pixel_values`  float32 [1, 3, H, W], ImageNet-normalised RGB (DinoSeg normalises), H and W dynamic
                         (any multiple of the patch size: 16 for DINOv3, 14 for DINOv2) unless --static-size;
  output (first and only) float32, one of
         tokens   `last_hidden_state` [1, 1 + R + h*w, D]: [CLS, R registers, patches row-major] after the
                  final norm (R = 4 for DINOv3 and DINOv2 "_reg", 0 for plain DINOv2). Default.
         patches  `patch_tokens`      [1, h*w, D]: patch tokens only.
         map      `feature_map`       [1, D, h, w]: patch tokens as a feature map.
  fp16 (--fp16) keeps the float32 input and output; the casts are inside the graph.

Sources (pick one):
  official code  --hub-repo DIR --arch dinov3_vitl16 --weights FILE.pth
                 DIR is a local clone of facebookresearch/dinov3 (or dinov2), FILE.pth the weights you
                 downloaded after accepting the licence. Keep the weights' original file name: the hub code of
                 some variants reads the hash in it (ViT-L/16 picks its satellite-weight layout that way).
  transformers   --hf DIR   a local Hugging Face checkpoint directory (config.json + model.safetensors).

Examples:
  python tools/export/export_dinov3.py --hub-repo ~/src/dinov3 --arch dinov3_vitl16 \
      --weights ~/weights/dinov3_vitl16_pretrain_lvd1689m-8aa4cbdd.pth --out dinov3_vitl16.onnx
  python tools/export/export_dinov3.py --hf ~/models/dinov3-vits16-pretrain-lvd1689m --out dinov3_vits16.onnx
  python tools/export/export_dinov2.py --hub-repo ~/src/dinov2 --arch dinov2_vitb14 \
      --weights ~/weights/dinov2_vitb14_pretrain.pth --out dinov2_vitb14.onnx

After the export the script runs the ONNX file with onnxruntime (pip install onnxruntime) on a random image
at two sizes (one for a fixed-size export), compares it with the PyTorch model and fails above the tolerance
(1e-3 max abs difference in fp32, 5e-2 in fp16). Exit codes: 0 exported and checked, 1 error,
2 bad arguments, 3 the check failed (file kept, do not use it), 4 exported but not checked (no onnxruntime).
Needs torch and onnx; the official DINOv3 code itself needs torch >= 2.4 to import (docs/models.md: the guide).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
OUTPUT_NAMES = {"tokens": "last_hidden_state", "patches": "patch_tokens", "map": "feature_map"}
PROTOBUF_LIMIT = 1_800_000_000  # bytes; above this the weights go to an external data file (ONNX's 2 GB cap)


@dataclass(frozen=True)
class Family:
    name: str
    patch: int
    trace_size: tuple[int, int]  # (width, height) the graph is traced at when dynamic: odd on purpose
    check_sizes: tuple[tuple[int, int], ...]  # (width, height) pairs checked after a dynamic export
    default_static: tuple[int, int] | None  # fallback size for --dynamic-first


FAMILIES = {
    "dinov3": Family("dinov3", 16, (256, 192), ((224, 224), (480, 320)), None),
    "dinov2": Family("dinov2", 14, (252, 182), ((224, 224), (476, 322)), (518, 518)),
}


class ExportError(Exception):
    """A problem the user can fix; printed as one message, no traceback."""


@dataclass
class Loaded:
    """A backbone ready to wrap: `sequence(pixel_values)` gives [B, prefix + h*w, D] after the final norm."""

    family: Family
    sequence: nn.Module
    prefix: int  # class token + registers
    dim: int
    description: str
    satellite: bool = False
    hub_dinov2: nn.Module | None = None  # the official DINOv2 model, whose position embedding needs a patch


# --------------------------------------------------------------------------------------------------------------
# Attention: explicit matmul/softmax in place of scaled_dot_product_attention


def explicit_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **_):
    """Same result as torch.nn.functional.scaled_dot_product_attention in eval mode, written with plain ops
    (MatMul, Softmax) so that any torch version traces and exports it. Dropout is ignored (inference only)."""
    head_dim = query.shape[-1]
    if isinstance(head_dim, torch.Tensor):  # a traced size: the head size is fixed, so a constant is right
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head_dim = int(head_dim)
    scale = 1.0 / math.sqrt(head_dim) if scale is None else scale
    scores = torch.matmul(query * scale, key.transpose(-2, -1))
    if is_causal:
        n, m = scores.shape[-2], scores.shape[-1]
        keep = torch.ones(n, m, dtype=torch.bool, device=scores.device).tril()
        scores = scores.masked_fill(~keep, float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    return torch.matmul(scores.softmax(dim=-1), value)


def install_explicit_attention_if_missing() -> bool:
    """torch < 2.0 has no scaled_dot_product_attention; code that calls it only runs with a stand-in."""
    if hasattr(F, "scaled_dot_product_attention"):
        return False
    F.scaled_dot_product_attention = explicit_attention
    return True


@contextlib.contextmanager
def attention_for_export(mode: str):
    """mode 'explicit': trace F.scaled_dot_product_attention as MatMul/Softmax (robust on every torch/opset);
    mode 'native': trace the model's own call (needs torch >= 2.1, where it has an ONNX symbolic)."""
    if mode != "explicit" or not hasattr(F, "scaled_dot_product_attention"):
        yield
        return
    saved = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = explicit_attention
    try:
        yield
    finally:
        F.scaled_dot_product_attention = saved


# --------------------------------------------------------------------------------------------------------------
# Official DINOv2: its position-embedding interpolation turns image sizes into Python floats, which a trace
# freezes at the trace size. This replacement computes the same numbers from traced sizes.


class _BicubicByScales(torch.autograd.Function):
    """Bicubic resize (half-pixel, a = -0.75, as torch) whose two scale factors are a tensor; exported as one
    ONNX Resize with a run-time `scales` input, so the output grid follows the image size."""

    @staticmethod
    def forward(ctx, image, scales):  # scales: float32 [2] = (rows, cols)
        factors = (float(scales[0]), float(scales[1]))
        return F.interpolate(image, scale_factor=factors, mode="bicubic", align_corners=False)

    @staticmethod
    def symbolic(g, image, scales):
        ones = g.op("Constant", value_t=torch.ones(2, dtype=torch.float32))
        all_scales = g.op("Concat", ones, scales, axis_i=0)
        roi = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
        return g.op("Resize", image, roi, all_scales, mode_s="cubic", cubic_coeff_a_f=-0.75,
                    coordinate_transformation_mode_s="half_pixel", nearest_mode_s="floor")


@contextlib.contextmanager
def dinov2_dynamic_position_embedding(model: nn.Module | None):
    """While exporting, replace the official DINOv2 interpolate_pos_encoding with a trace-friendly equivalent:
    no interpolation when the grid is the trained one and the image square, else bicubic with the scale
    factors (rows + offset) / M and (cols + offset) / M as the original computes them."""
    if model is None:
        yield
        return
    n = model.pos_embed.shape[1] - 1
    m = int(round(math.sqrt(n)))
    dim = model.pos_embed.shape[2]
    offset = float(getattr(model, "interpolate_offset", 0.0) or 0.0)
    patch = int(model.patch_size)
    if m * m != n:
        raise ExportError(f"the DINOv2 position embedding has {n} patch positions, not a square grid: use --static-size")
    if getattr(model, "interpolate_antialias", False) or offset <= 0:
        raise ExportError("this DINOv2 model interpolates its position embedding with antialiasing and no 0.1 offset "
                          "(the '_reg' variants do), which this script cannot export with dynamic sizes: "
                          "use --static-size 518x518 (or another multiple of 14), or --dynamic-first")

    def interpolate_pos_encoding(x, height, width):  # the official call passes (tokens, image height, width)
        pos = model.pos_embed.float()
        grid = pos[:, 1:].reshape(1, m, m, dim).permute(0, 3, 1, 2)
        height = torch.as_tensor(height)
        width = torch.as_tensor(width)
        rows = (height // patch).to(torch.float32)
        cols = (width // patch).to(torch.float32)
        trained = ((torch.as_tensor(x.shape[1]) - 1) == n) & (height == width)
        one = torch.ones((), dtype=torch.float32)
        scales = torch.stack([torch.where(trained, one, (rows + offset) / m),
                              torch.where(trained, one, (cols + offset) / m)])
        resized = _BicubicByScales.apply(grid, scales)
        patch_pos = resized.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat([pos[:, :1], patch_pos], dim=1).to(x.dtype)

    model.interpolate_pos_encoding = interpolate_pos_encoding
    try:
        yield
    finally:
        del model.interpolate_pos_encoding


# --------------------------------------------------------------------------------------------------------------
# Loading


class HubSequence(nn.Module):
    """Official DINOv3/DINOv2 model → full token sequence. Calls forward_features without its optional `masks`
    argument, so that input never reaches the exported graph, and reassembles the normed tokens."""

    def __init__(self, model: nn.Module, register_key: str, registers: int):
        super().__init__()
        self.model = model
        self.register_key = register_key
        self.registers = registers

    def forward(self, pixel_values):
        out = self.model.forward_features(pixel_values)
        parts = [out["x_norm_clstoken"].unsqueeze(1)]
        if self.registers:
            parts.append(out[self.register_key])
        parts.append(out["x_norm_patchtokens"])
        return torch.cat(parts, dim=1)


class HfSequence(nn.Module):
    """transformers model → last_hidden_state, the token sequence after the final layernorm."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).last_hidden_state


def sharpen_random_weights(model: nn.Module) -> None:
    """For --random-weights only. A fresh initialisation scales every residual branch by ~1e-5 (layer scale) and
    gives tiny position embeddings, so attention, RoPE and positions would barely reach the output and a broken
    export could still pass the check. Layer scales 1 and position embeddings of std 1 make every part count."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("gamma", "lambda1") and p.dim() == 1:
                p.fill_(1.0)
            elif leaf == "pos_embed":
                p.copy_(torch.randn(p.shape, generator=g))


def load_hub(args, family: Family) -> Loaded:
    repo = os.path.abspath(os.path.expanduser(args.hub_repo))
    if not os.path.isfile(os.path.join(repo, "hubconf.py")):
        raise ExportError(f"{repo} has no hubconf.py: pass a local clone of facebookresearch/{family.name}")
    if not args.arch:
        raise ExportError("--hub-repo needs --arch (e.g. dinov3_vitl16, dinov2_vitb14)")
    if not args.arch.startswith(family.name + "_"):
        raise ExportError(f"--arch {args.arch} is not a {family.name} model name (they start with '{family.name}_')")
    if "convnext" in args.arch:
        raise ExportError("ConvNeXt variants are not supported: export a ViT (…16 for DINOv3, …14 for DINOv2)")
    weights = None
    if args.weights:
        weights = os.path.abspath(os.path.expanduser(args.weights))
        if not os.path.isfile(weights):
            raise ExportError(f"no weights file at {weights}")
    elif not args.random_weights:
        raise ExportError("--hub-repo needs --weights FILE.pth (or --random-weights to test the export path only)")

    os.environ.setdefault("XFORMERS_DISABLED", "1")  # DINOv2 would use xFormers kernels, which do not export
    if family.name == "dinov3" and weights:
        kwargs = {"weights": weights}
    else:
        kwargs = {"pretrained": False}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*xFormers")
            model = torch.hub.load(repo, args.arch, source="local", **kwargs)
    except (ImportError, AttributeError) as e:
        raise ExportError(f"the code in {repo} does not import with torch {torch.__version__} ({type(e).__name__}: "
                          f"{str(e).splitlines()[0]}). The official DINOv3 code needs torch >= 2.4 with a matching "
                          "torchvision and the packages of its requirements.txt: pip install -r "
                          f"{os.path.join(repo, 'requirements.txt')} (docs/models.md)") from e
    if family.name == "dinov2" and weights:
        state = torch.load(weights, map_location="cpu")
        model.load_state_dict(state, strict=True)
    if not weights:
        sharpen_random_weights(model)
    model.eval()

    if family.name == "dinov3":
        registers = int(getattr(model, "n_storage_tokens", 0))
        sequence = HubSequence(model, "x_storage_tokens", registers)
    else:
        registers = int(getattr(model, "num_register_tokens", 0))
        sequence = HubSequence(model, "x_norm_regtokens", registers)
    patch = int(model.patch_size if not isinstance(model.patch_size, tuple) else model.patch_size[0])
    if patch != family.patch:
        raise ExportError(f"{args.arch} has patch size {patch}, not {family.patch}")
    source = "random weights (export test only)" if not weights else os.path.basename(weights)
    return Loaded(family, sequence.eval(), 1 + registers, int(model.embed_dim), f"{args.arch} from {source}",
                  satellite=bool(weights and "sat493m" in os.path.basename(weights).lower()),
                  hub_dinov2=model if family.name == "dinov2" else None)


def load_hf(args, family: Family) -> Loaded:
    try:
        from transformers import AutoConfig, AutoModel
    except ImportError as e:
        raise ExportError("--hf needs the transformers package: pip install transformers") from e
    path = os.path.abspath(os.path.expanduser(args.hf))
    config = AutoConfig.from_pretrained(path)
    model_type = getattr(config, "model_type", "")
    expected = {"dinov3": ("dinov3_vit",), "dinov2": ("dinov2", "dinov2_with_registers")}[family.name]
    if model_type not in expected:
        other = "export_dinov2.py (or --family dinov2)" if model_type.startswith("dinov2") else \
            "export_dinov3.py (or --family dinov3)" if model_type == "dinov3_vit" else "a DINOv3/DINOv2 ViT checkpoint"
        raise ExportError(f"{path} holds a '{model_type}' model, not {' or '.join(expected)}: use {other}")
    attn = "eager" if args.attention == "explicit" else "sdpa"
    try:
        model = AutoModel.from_pretrained(path, attn_implementation=attn, torch_dtype=torch.float32)
    except TypeError:  # older transformers without attn_implementation
        model = AutoModel.from_pretrained(path)
    model.eval()
    registers = int(getattr(config, "num_register_tokens", 0) or 0)
    patch = int(config.patch_size)
    if patch != family.patch:
        raise ExportError(f"{path} has patch size {patch}, not {family.patch}")
    return Loaded(family, HfSequence(model).eval(), 1 + registers, int(config.hidden_size),
                  f"{os.path.basename(path.rstrip(os.sep))} (transformers {model_type})",
                  satellite="sat493m" in path.lower())


# --------------------------------------------------------------------------------------------------------------
# Export


class DinoSegExport(nn.Module):
    """The exported module: one input, `pixel_values`, and the chosen output, in float32."""

    def __init__(self, sequence: nn.Module, patch: int, prefix: int, output: str):
        super().__init__()
        self.sequence = sequence
        self.patch = patch
        self.prefix = prefix
        self.output = output

    def forward(self, pixel_values):
        tokens = self.sequence(pixel_values)
        if self.output == "tokens":
            return tokens
        patches = tokens[:, self.prefix:]
        if self.output == "patches":
            return patches
        rows = pixel_values.shape[2] // self.patch  # traced sizes: the map follows the input
        cols = pixel_values.shape[3] // self.patch
        return patches.transpose(1, 2).reshape(patches.shape[0], patches.shape[2], rows, cols)


def random_image(width: int, height: int, seed: int) -> torch.Tensor:
    """A random RGB image in [0, 1], normalised as DinoSeg does, NCHW."""
    g = torch.Generator().manual_seed(seed)
    rgb = torch.rand(1, 3, height, width, generator=g)
    return (rgb - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def torch_export(module: nn.Module, example: torch.Tensor, path: str, output: str, dynamic: bool, opset: int,
                 verbose: bool) -> None:
    out_name = OUTPUT_NAMES[output]
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {"pixel_values": {2: "height", 3: "width"},
                        out_name: {1: "dim", 2: "rows", 3: "cols"} if output == "map" else {1: "tokens"}}
    kwargs = dict(input_names=["pixel_values"], output_names=[out_name], dynamic_axes=dynamic_axes,
                  opset_version=opset, do_constant_folding=True, export_params=True)
    import inspect
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: dynamic_axes as given, no torch.export
    with warnings.catch_warnings():
        if not verbose:
            warnings.simplefilter("ignore")  # tracer warnings about frozen Python values; the check decides
        with torch.no_grad():
            torch.onnx.export(module, (example,), path, **kwargs)


def finish_onnx(tmp_path: str, out_path: str, fp16: bool, metadata: dict[str, str]) -> list[str]:
    """Load the traced file, add metadata, convert to fp16 if asked, save (external data above ~1.8 GB).
    Returns the files written."""
    import onnx

    model = onnx.load(tmp_path)  # pulls in any external data the exporter wrote beside it
    if fp16:
        # onnx's in-memory shape inference stops at 2 GB; below that the converter uses it to place its casts.
        model = to_fp16(model, big=sum(len(t.raw_data) for t in model.graph.initializer) > PROTOBUF_LIMIT)
    del model.metadata_props[:]
    for k, v in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    model.producer_name = "DinoSeg tools/export"
    weight_bytes = sum(len(t.raw_data) for t in model.graph.initializer)
    data_name = os.path.basename(out_path) + ".data"
    data_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), data_name)
    if os.path.exists(data_path):
        os.remove(data_path)  # onnx appends to an existing data file
    if weight_bytes > PROTOBUF_LIMIT:
        onnx.save_model(model, out_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
        files = [out_path, data_path]
    else:
        onnx.save_model(model, out_path)
        files = [out_path]
    del model
    gc.collect()
    onnx.checker.check_model(out_path)
    return files


def fp16_converter():
    """onnxruntime's float16 converter (ships in the onnxruntime wheel), else onnxconverter-common's."""
    try:
        from onnxruntime.transformers.float16 import convert_float_to_float16
    except ImportError:
        try:
            from onnxconverter_common.float16 import convert_float_to_float16
        except ImportError as e:
            raise ExportError("--fp16 needs onnxruntime (its transformers.float16 module) or onnxconverter-common: "
                              "pip install onnxruntime") from e
    return convert_float_to_float16


def to_fp16(model, big: bool):
    """fp16 weights and compute, float32 input and output (Cast nodes at both ends)."""
    # keep_io_types: the graph's input and output stay float32, as DinoSeg feeds and reads float32.
    return fp16_converter()(model, keep_io_types=True, disable_shape_infer=big)


# --------------------------------------------------------------------------------------------------------------
# Check with onnxruntime


def check_with_onnxruntime(path: str, cases: list, tolerance: float, fp16: bool, prefix: int, output: str) -> bool | None:
    """Run the file at each (width, height, input, torch output) case. None when onnxruntime is missing."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    providers = ["CPUExecutionProvider"]
    if fp16 and "CUDAExecutionProvider" in ort.get_available_providers():
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    try:
        session = ort.InferenceSession(path, providers=providers)
    except Exception as e:  # noqa: BLE001 - report ORT's own message
        msg = str(e).splitlines()[0]
        hint = " (fp16 graphs often need onnxruntime-gpu: pip install onnxruntime-gpu)" if fp16 else ""
        raise ExportError(f"onnxruntime {ort.__version__} cannot load {path}: {msg}{hint}") from e
    inputs, outputs = session.get_inputs(), session.get_outputs()
    print(f"onnxruntime {ort.__version__} ({providers[0]}): input {inputs[0].name} {inputs[0].type} {inputs[0].shape}, "
          f"output {outputs[0].name} {outputs[0].type} {outputs[0].shape}")
    if len(inputs) != 1:
        raise ExportError(f"the file has {len(inputs)} inputs; DinoSeg needs exactly one")
    if inputs[0].type != "tensor(float)" or outputs[0].type != "tensor(float)":
        raise ExportError("the input and first output must be float32")
    ok = True
    for width, height, x, expected in cases:
        started = time.perf_counter()
        try:
            got = session.run([outputs[0].name], {inputs[0].name: x})[0]
        except Exception as e:  # noqa: BLE001
            print(f"  {width}x{height}: onnxruntime failed: {str(e).splitlines()[0]}")
            ok = False
            continue
        ms = (time.perf_counter() - started) * 1000
        if got.shape != expected.shape:
            print(f"  {width}x{height}: shape {list(got.shape)}, expected {list(expected.shape)}  FAIL")
            ok = False
            continue
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        vectors = lambda a: (a[0].reshape(a.shape[1], -1).T if output == "map" else a[0][prefix if output == "tokens" else 0:])
        va, vb = vectors(got).astype(np.float64), vectors(expected).astype(np.float64)
        cos = (va * vb).sum(1) / np.maximum(np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1), 1e-12)
        verdict = "ok" if diff.max() <= tolerance else "FAIL"
        ok &= verdict == "ok"
        print(f"  {width}x{height}: output {list(got.shape)}, max abs diff {diff.max():.3e}, mean {diff.mean():.3e}, "
              f"min patch cosine {cos.min():.6f}, ORT {ms:.0f} ms  {verdict} (tolerance {tolerance:g})")
    return ok


# --------------------------------------------------------------------------------------------------------------
# Driver


def parse_size(text: str, patch: int, what: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ExportError(f"{what} '{text}' is not WIDTHxHEIGHT, e.g. 480x320") from None
    if w <= 0 or h <= 0 or w % patch or h % patch:
        raise ExportError(f"{what} {w}x{h}: width and height must be positive multiples of the patch size {patch}")
    return w, h


def csharp_lines(loaded: Loaded, output: str, out_path: str) -> list[str]:
    fam = loaded.family.name
    registers = loaded.prefix - 1
    # The CLI's presets: dinov3 = CLS + 4 registers, dinov2 = CLS only. A feature map fits any of them.
    registers_cli_ok = registers == (4 if fam == "dinov3" else 0)
    if fam == "dinov3":
        preset = "Backbone.Dinov3Satellite" if loaded.satellite else "Backbone.Dinov3"
        if registers != 4 and output == "tokens":
            preset += f" with {{ RegisterTokens = {registers} }}"
    else:
        preset = "Backbone.Dinov2()" if registers == 0 else f"Backbone.Dinov2(registers: {registers})"
    if output == "patches":
        preset += " with { HasClassToken = false, RegisterTokens = 0 }"
    name = os.path.basename(out_path)
    lines = [f'using var dino = DinoSegmenter.Create("{name}", {preset});',
             f'using var extractor = OnnxFeatureExtractor.Create("{name}", {preset});   // features only']
    cli_backbone = "dinov3" if fam == "dinov3" else "dinov2"
    cli_ok = output == "map" or (output == "tokens" and registers_cli_ok)
    if cli_ok:
        lines.append(f"dinoseg segment photo.jpg --seed X,Y --backbone {cli_backbone} --model {name} --out out --json")
        if loaded.satellite:
            lines.append("(satellite weights: the CLI's dinov3 preset normalises with the web-image mean/std; "
                         "use Backbone.Dinov3Satellite from C#)")
    else:
        lines.append(f"(the dinoseg CLI's '--backbone {cli_backbone}' preset expects "
                     f"{'4 registers' if fam == 'dinov3' else 'no registers'} after the class token: "
                     f"for the CLI re-export with --output map)")
    return lines


def export(loaded: Loaded, args) -> int:
    family = loaded.family
    patch = family.patch
    static = parse_size(args.static_size, patch, "--static-size") if args.static_size else None
    attempts = []  # (dynamic, trace size, check sizes)
    checks = [parse_size(s, patch, "--check-size") for s in args.check_size] if args.check_size else None
    if args.dynamic_first:
        fallback = static or family.default_static or (512, 512)
        attempts.append((True, family.trace_size, checks or list(family.check_sizes)))
        attempts.append((False, fallback, [fallback]))
    elif static:
        if checks and any(c != static for c in checks):
            raise ExportError(f"a fixed-size export only runs at {static[0]}x{static[1]}: drop --check-size")
        attempts.append((False, static, [static]))
    else:
        attempts.append((True, family.trace_size, checks or list(family.check_sizes)))

    tolerance = args.tolerance if args.tolerance is not None else (5e-2 if args.fp16 else 1e-3)
    wrapper = DinoSegExport(loaded.sequence, patch, loaded.prefix, args.output).eval()
    out_path = os.path.abspath(os.path.expanduser(args.out))
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    print(f"model: {loaded.description}; dim {loaded.dim}, patch {patch}, {loaded.prefix} prefix tokens")

    for attempt, (dynamic, trace_size, check_sizes) in enumerate(attempts):
        shape_text = "dynamic height/width" if dynamic else f"fixed {trace_size[0]}x{trace_size[1]}"
        print(f"exporting: output '{args.output}' ({OUTPUT_NAMES[args.output]}), {shape_text}, opset {args.opset}, "
              f"{'fp16' if args.fp16 else 'fp32'}, attention {args.attention}")
        # PyTorch reference first, with the model's own attention (the export may swap in the explicit one).
        cases = []
        with torch.no_grad():
            for i, (w, h) in enumerate(check_sizes):
                x = random_image(w, h, seed=1234 + i)
                cases.append((w, h, x.numpy(), wrapper(x).float().numpy()))
        tmp_dir = tempfile.mkdtemp(prefix=".dinoseg-export-", dir=os.path.dirname(out_path))
        try:
            started = time.perf_counter()
            example = random_image(*trace_size, seed=7)
            pos_patch = loaded.hub_dinov2 if dynamic else None
            with attention_for_export(args.attention), dinov2_dynamic_position_embedding(pos_patch):
                torch_export(wrapper, example, os.path.join(tmp_dir, "model.onnx"), args.output, dynamic,
                             args.opset, args.verbose)
            metadata = {"dinoseg.family": family.name, "dinoseg.patch_size": str(patch),
                        "dinoseg.prefix_tokens": str(loaded.prefix if args.output == "tokens" else 0),
                        "dinoseg.output": args.output, "dinoseg.source": loaded.description,
                        "dinoseg.precision": "fp16" if args.fp16 else "fp32"}
            files = finish_onnx(os.path.join(tmp_dir, "model.onnx"), out_path, args.fp16, metadata)
            print(f"exported in {time.perf_counter() - started:.1f} s")
        except Exception as e:  # noqa: BLE001 - a failed trace; maybe the fixed-size fallback works
            if attempt + 1 < len(attempts):
                reason = str(e).splitlines()[0] if str(e) else type(e).__name__
                print(f"dynamic export failed ({reason}); trying a fixed-size export")
                continue
            raise
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)

        total = sum(os.path.getsize(f) for f in files)
        for f in files:
            print(f"wrote {f} ({os.path.getsize(f) / 1e6:.1f} MB)")
        if len(files) > 1:
            print(f"  keep {os.path.basename(files[1])} next to the .onnx file and load it by path, not from bytes")
        print(f"total size {total / 1e6:.1f} MB")

        if args.no_check:
            print("check skipped (--no-check)")
            verdict = True
        else:
            print(f"checking against PyTorch at {', '.join(f'{w}x{h}' for w, h, *_ in cases)} (width x height)")
            verdict = check_with_onnxruntime(out_path, cases, tolerance, args.fp16, loaded.prefix, args.output)
            if verdict is None:
                if args.dynamic_first:
                    raise ExportError("--dynamic-first needs onnxruntime to tell whether the dynamic export works: "
                                      "pip install onnxruntime")
                print("NOT CHECKED: onnxruntime is not installed, so the ONNX file was not compared with PyTorch.\n"
                      "  pip install onnxruntime   and run this command again (or pass --no-check to accept it).")
                print_usage_lines(loaded, args.output, out_path, dynamic, trace_size)
                return 4
        if not verdict:
            if attempt + 1 < len(attempts):
                print("the dynamic export does not match PyTorch at every size; trying a fixed-size export")
                continue
            print(f"CHECK FAILED: {out_path} does not match PyTorch; do not use it.", file=sys.stderr)
            if dynamic and family.name == "dinov2":
                print("  DINOv2's interpolated position embedding often breaks dynamic export: "
                      "try --static-size 518x518 (or --dynamic-first).", file=sys.stderr)
            return 3
        print_usage_lines(loaded, args.output, out_path, dynamic, trace_size)
        return 0
    return 3


def print_usage_lines(loaded: Loaded, output: str, out_path: str, dynamic: bool, size) -> None:
    if not dynamic:
        print(f"fixed input size {size[0]}x{size[1]}: DinoSeg reads it from the file and resizes every image to it")
    print("load it in C#:")
    for line in csharp_lines(loaded, output, out_path):
        print("  " + line)


def build_parser(default_family: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Export a DINOv3/DINOv2 ViT to ONNX for DinoSeg and check it against PyTorch.",
        epilog="Sizes are WIDTHxHEIGHT, as DinoSeg prints them. Full guide: docs/models.md")
    p.add_argument("--family", choices=sorted(FAMILIES), default=default_family,
                   help=f"model family (default {default_family}): dinov3 = patch 16, dinov2 = patch 14")
    src = p.add_argument_group("source (one of)")
    src.add_argument("--hub-repo", metavar="DIR", help="local clone of facebookresearch/dinov3 (or dinov2)")
    src.add_argument("--arch", help="hub entry point, e.g. dinov3_vits16, dinov3_vitl16, dinov3_vith16plus, dinov2_vitb14_reg")
    src.add_argument("--weights", metavar="PTH", help="weights file for --hub-repo (keep its original name)")
    src.add_argument("--random-weights", action="store_true",
                     help="with --hub-repo: random initialisation, to test the export path without weights")
    src.add_argument("--hf", metavar="DIR", help="local Hugging Face transformers checkpoint directory")
    p.add_argument("--out", required=True, metavar="FILE.onnx", help="where to write the ONNX file")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset, at least 17 (default 17)")
    p.add_argument("--fp16", action="store_true", help="fp16 weights and compute; input and output stay float32")
    p.add_argument("--output", choices=("tokens", "patches", "map"), default="tokens",
                   help="tokens: [1, 1+R+h*w, D] (default); patches: [1, h*w, D]; map: [1, D, h, w]")
    p.add_argument("--static-size", metavar="WxH", help="fixed input size instead of dynamic height and width")
    p.add_argument("--dynamic-first", action="store_true",
                   help="try a dynamic export; if it fails or mismatches, export at --static-size (default 518x518 for DINOv2)")
    p.add_argument("--check-size", action="append", metavar="WxH",
                   help="size to check at (repeatable; default two sizes per family)")
    p.add_argument("--tolerance", type=float, help="max abs difference allowed (default 1e-3 fp32, 5e-2 fp16)")
    p.add_argument("--no-check", action="store_true", help="skip the onnxruntime comparison")
    p.add_argument("--attention", choices=("explicit", "native"), default="explicit",
                   help="explicit (default): export attention as MatMul/Softmax, works on every torch version; "
                        "native: keep scaled_dot_product_attention (torch >= 2.1)")
    p.add_argument("--verbose", action="store_true", help="show tracer warnings")
    return p


def main(argv=None, default_family: str = "dinov3", loaded: Loaded | None = None) -> int:
    """Command-line entry. `loaded` lets a test hand in a stand-in model instead of --hub-repo/--hf."""
    parser = build_parser(default_family)
    args = parser.parse_args(argv)
    family = FAMILIES[args.family]
    try:
        if args.opset < 17:
            raise ExportError(f"--opset {args.opset}: use 17 or later (LayerNormalization and the attention export need it)")
        if loaded is None:
            if bool(args.hub_repo) == bool(args.hf):
                parser.error("give exactly one source: --hub-repo DIR (with --arch and --weights) or --hf DIR")
            if args.hf and (args.weights or args.random_weights or args.arch):
                parser.error("--weights, --random-weights and --arch go with --hub-repo, not --hf")
        print(f"torch {torch.__version__}, python {sys.version.split()[0]}")
        if install_explicit_attention_if_missing():
            print(f"note: torch {torch.__version__} has no scaled_dot_product_attention; using an explicit one")
            if args.attention == "native":
                raise ExportError("--attention native needs torch >= 2.1")
        if args.attention == "native" and tuple(int(v) for v in torch.__version__.split(".")[:2]) < (2, 1):
            raise ExportError("--attention native needs torch >= 2.1 (its ONNX export of scaled_dot_product_attention)")
        torch.manual_seed(0)
        if args.fp16:
            fp16_converter()  # fail before a long export, not after
        for text in ([args.static_size] if args.static_size else []):
            parse_size(text, family.patch, "--static-size")
        for text in args.check_size or []:
            parse_size(text, family.patch, "--check-size")
        if loaded is None:
            loaded = load_hub(args, family) if args.hub_repo else load_hf(args, family)
        return export(loaded, args)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
