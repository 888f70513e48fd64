#!/usr/bin/env bash
# Runs a sweep as a Slurm job array: one shard per array task, merged by the last step.
#
#   sbatch --array=0-15 tools/slurm_eval.sh SPEC.json RUN_DIR [extra hsa eval flags]
#   # after the array finished (or as a dependent job: sbatch --dependency=afterok:<jobid> ...):
#   build/hsa merge --out RUN_DIR
#
# Every array task runs `hsa eval --shard i/N` into RUN_DIR/samples.shard-i-of-N.jsonl; a task that is
# preempted or killed resumes where it stopped when it is requeued (rows are appended and fsync'ed one by one).
#SBATCH --job-name=hsa-eval
#SBATCH --requeue
#SBATCH --output=hsa-eval-%A_%a.log
set -euo pipefail
spec=${1:?usage: sbatch --array=0-N tools/slurm_eval.sh SPEC.json RUN_DIR [flags]}
run=${2:?usage: sbatch --array=0-N tools/slurm_eval.sh SPEC.json RUN_DIR [flags]}
shift 2
: "${SLURM_ARRAY_TASK_ID:?run this under sbatch --array}"
: "${SLURM_ARRAY_TASK_COUNT:?run this under sbatch --array}"
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"
exec build/hsa eval --spec "$spec" --out "$run" --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" "$@"
