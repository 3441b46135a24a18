#!/usr/bin/env bash
# Times DinoSeg's feature extraction on CUDA next to the CPU, with the DinoSeg.Gpu flavour (ONNX Runtime's CUDA build).
# Unattended, a few minutes on a machine with an NVIDIA GPU, a driver, CUDA 13.x and cuDNN 9.x (what ORT 1.31.0 links).
#
#   tools/gpu-check.sh                                    # embedded ResNet18, long sides 512, 768, 1024, 10 runs each
#   tools/gpu-check.sh --model dinov3_vitl16.onnx --backbone dinov3 --sizes 768,1024 --runs 20
#
# Exit codes: 0 timings printed; 2 no NVIDIA GPU here (nothing was run); 5 CUDA present but unusable (the error says what
# is missing); anything else: the build or the run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu-check: no NVIDIA GPU on this machine (nvidia-smi not found); nothing to check." >&2
    exit 2
fi
if ! gpus=$(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1) || [ -z "$gpus" ]; then
    echo "gpu-check: nvidia-smi found no usable GPU: ${gpus:-no output}" >&2
    exit 2
fi
echo "GPUs:"
echo "$gpus" | sed 's/^/  /'

# ORT loads the CUDA libraries by name at run time; say up front which ones the loader cannot see.
found_lib() {
    ldconfig -p 2>/dev/null | grep -q "$1" && return 0
    local dir
    IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
    for dir in "${dirs[@]}"; do [ -n "$dir" ] && [ -e "$dir/$1" ] && return 0; done
    return 1
}
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
    found_lib "$lib" || echo "gpu-check: warning: $lib is neither in the loader cache nor in LD_LIBRARY_PATH; CUDA may fail to load" >&2
done

# Its own artifacts folder: the GPU flavour never overwrites the CPU build that the tests use.
artifacts="$PWD/artifacts/gpu-check"
echo "building tools/GpuCheck with -p:DinoSegFlavor=Gpu (Release)..."
dotnet build tools/GpuCheck -c Release -p:DinoSegFlavor=Gpu -p:ArtifactsPath="$artifacts" -nologo -v quiet
echo
dotnet "$artifacts/bin/GpuCheck/release/GpuCheck.dll" "$@"
