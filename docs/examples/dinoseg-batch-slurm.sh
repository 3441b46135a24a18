#!/bin/bash
# Slurm job array: task i runs shard i/N of the same batch. Submit with: sbatch docs/examples/dinoseg-batch-slurm.sh
#SBATCH --job-name=dinoseg
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=logs/dinoseg-%A_%a.out
set -euo pipefail

# Array indices must run 0 … N-1 (with --array=1-16 use $((SLURM_ARRAY_TASK_ID - 1)) instead).
N=${SLURM_ARRAY_TASK_COUNT}
mkdir -p logs
dinoseg batch /data/photos --seeds /data/seeds.csv --out /data/masks \
  --shard "${SLURM_ARRAY_TASK_ID}/${N}" --json > "logs/shard-${SLURM_ARRAY_TASK_ID}.json"
# Exit code 7 means some images failed and the rest were written; requeueing the task redoes only what is missing.
