#!/bin/bash
# Slurm job array: task i runs shard i/N of the same batch. Slurm opens the --output file before the script runs, so
# submit from a folder that has logs/ in it: mkdir -p logs && sbatch docs/examples/dinoseg-batch-slurm.sh
# tests/DinoSeg.Cli.Tests/SlurmArrayTests.cs submits this very file to a one-node cluster (see docs/batch.md).
#SBATCH --job-name=dinoseg
#SBATCH --array=0-15
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=logs/dinoseg-%A_%a.out
set -euo pipefail

# A shared file system that every node sees; sbatch passes the submitting shell's environment to each task.
PHOTOS=${DINOSEG_PHOTOS:-/data/photos}
SEEDS=${DINOSEG_SEEDS:-/data/seeds.csv}
MASKS=${DINOSEG_MASKS:-/data/masks}
# N is fixed, not SLURM_ARRAY_TASK_COUNT: a task resubmitted alone (sbatch --array=5 …) must still run shard 5 of 16.
# Keep it equal to the number of indices in --array, which must run 0 … N-1.
N=${DINOSEG_SHARDS:-16}

dinoseg batch "$PHOTOS" --seeds "$SEEDS" --out "$MASKS" \
  --shard "${SLURM_ARRAY_TASK_ID}/${N}" --json > "logs/shard-${SLURM_ARRAY_TASK_ID}.json"
# Exit code 7 means some images failed and the rest were written. A killed or failed task is simply submitted again
# with its index; the rerun skips the images it had finished and redoes only the rest.
