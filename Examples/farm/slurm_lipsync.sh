#!/usr/bin/env bash
# LipSync on a Slurm cluster. The clip is split into window-aligned chunks (`ofx-host plan`); a job
# array renders one chunk per task through ofx-host and the plugin, every task on the same cache
# folder; a job that starts once every chunk has succeeded joins the frames and muxes the speech in.
#
#   Examples/farm/slurm_lipsync.sh --chunks 3 --input '/shared/shot/face####.png' --frame-rate 25 \
#       --audio /shared/speech.wav --output /shared/out/shot.mp4 --cache /shared/omniedit-cache \
#       [--set steps=20 --set seed=3 ...] [--sbatch '--partition=render --time=04:00:00'] [--wait]
#
# Every path must be on storage that all nodes see under the same path (NFS or similar): the input,
# the audio, the output's folder (the chunks' frames and logs go to OUTPUT.farm/ beside it) and the
# cache. OFX_HOST and OMNIEDIT_BUNDLE name the host and the bundle on the nodes (defaults: ofx-host on
# the PATH, /usr/OFX/Plugins/OmniEdit.ofx.bundle). With NatronRenderer instead of ofx-host, each task
# runs `NatronRenderer -w LipSyncWriter A-B project.py` on its range (see README, "Rendering on a farm").
# A chunk that fails or is killed can be resubmitted alone (`scontrol requeue JOBID_K`): it resumes
# from the steps the cache holds and writes the same frames.
set -euo pipefail

die() { echo "slurm_lipsync: $*" >&2; exit 2; }

# --- inside the jobs: `slurm_lipsync.sh chunk WORK` (array task) and `slurm_lipsync.sh join WORK` ---
if [[ "${1:-}" == chunk || "${1:-}" == join ]]; then
    role=$1 work=$2
    # shellcheck source=/dev/null
    source "$work/job.sh"
    if [[ $role == chunk ]]; then
        k=${SLURM_ARRAY_TASK_ID:?the chunk role runs as a Slurm array task}
        range=$(sed -n "${k}p" "$work/chunks.txt")
        [[ -n $range ]] || die "no chunk $k in $work/chunks.txt"
        echo "chunk $k: frames $range on $(hostname)"
        exec "$OFX_HOST" render "$BUNDLE" --effect LipSync --input "$INPUT" --frame-rate "$FRAME_RATE" \
            --frames "$range" --output "$work/frames/edited######.png" --depth float \
            --set "audioFile=$AUDIO" --set "cacheFolder=$CACHE" "${SETS[@]}"
    fi
    exec "$OFX_HOST" concat --input "$work/frames/edited######.png" --frame-rate "$FRAME_RATE" \
        --output "$OUTPUT" --audio "$AUDIO"
fi

# --- submit ---
CHUNKS='' INPUT='' AUDIO='' OUTPUT='' CACHE='' FRAME_RATE=25 SBATCH_EXTRA='' WAIT=0
SETS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --chunks) CHUNKS=$2; shift 2 ;;
        --input) INPUT=$2; shift 2 ;;
        --audio) AUDIO=$2; shift 2 ;;
        --output) OUTPUT=$2; shift 2 ;;
        --cache) CACHE=$2; shift 2 ;;
        --frame-rate) FRAME_RATE=$2; shift 2 ;;
        --set) SETS+=(--set "$2"); shift 2 ;;
        --sbatch) SBATCH_EXTRA=$2; shift 2 ;;
        --wait) WAIT=1; shift ;;
        *) die "unknown argument '$1' (see the comment at the top of $0)" ;;
    esac
done
for v in CHUNKS INPUT AUDIO OUTPUT CACHE; do [[ -n ${!v} ]] || die "--${v,,} is required"; done
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
INPUT=$(absolute "$INPUT") AUDIO=$(absolute "$AUDIO") OUTPUT=$(absolute "$OUTPUT") CACHE=$(absolute "$CACHE")
OFX_HOST=$(command -v "${OFX_HOST:-ofx-host}") || die "no ofx-host (set OFX_HOST)"
BUNDLE=$(absolute "${OMNIEDIT_BUNDLE:-/usr/OFX/Plugins/OmniEdit.ofx.bundle}")
[[ -d $BUNDLE ]] || die "no bundle at $BUNDLE (set OMNIEDIT_BUNDLE)"
command -v sbatch >/dev/null || die "no sbatch: run this on a Slurm submit host"

work="$OUTPUT.farm"
rm -rf "$work"
mkdir -p "$work/frames" "$work/logs" "$CACHE"
# The plan: one "first-last" frame range per chunk, whole windows each (windows follow the whole clip).
"$OFX_HOST" plan "$BUNDLE" --effect LipSync --input "$INPUT" --frame-rate "$FRAME_RATE" "${SETS[@]}" \
    --chunks "$CHUNKS" --format ranges > "$work/chunks.txt"
count=$(wc -l < "$work/chunks.txt")
declare -p OFX_HOST BUNDLE INPUT AUDIO OUTPUT CACHE FRAME_RATE SETS > "$work/job.sh"

# shellcheck disable=SC2086  # SBATCH_EXTRA is a list of options
array=$(sbatch --parsable --array="1-$count" --job-name=lipsync-chunk --output="$work/logs/chunk-%a.log" \
    $SBATCH_EXTRA "$0" chunk "$work")
array=${array%%;*}
waiting=()
[[ $WAIT == 1 ]] && waiting=(--wait)
echo "slurm_lipsync: $count chunk(s) as job array $array: $(tr '\n' ' ' < "$work/chunks.txt")"
# Runs only if every chunk succeeded; cancelled (not left pending forever) if one failed.
# shellcheck disable=SC2086
join=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --job-name=lipsync-join \
    --output="$work/logs/join.log" "${waiting[@]}" $SBATCH_EXTRA "$0" join "$work") || {
    echo "slurm_lipsync: the join job failed or was cancelled; logs in $work/logs" >&2
    exit 1
}
echo "slurm_lipsync: join job ${join%%;*} writes $OUTPUT"
