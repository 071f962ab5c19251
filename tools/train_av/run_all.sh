#!/bin/sh
# The built-in AV Edit model, end to end, as it was run (see plugin-manifest/MODEL_CARD_avedit.md for the figures).
# Shared 2-core machine: everything at nice 19 with one torch thread; each stage is time-budgeted, checkpoints every
# ~2 minutes to $AV_CKPT and resumes (rerun a line to continue it). The minutes below are the wall-clock budgets of
# the recorded run (load 17-28 from other jobs, ~5 % of a core per process); on an idle machine far fewer are needed.
set -e
cd "$(dirname "$0")/../.."
PY=${PY:-/work/venv-av/bin/python}
export AV_CKPT=${AV_CKPT:-/work/ckpt_av} AV_DATA=${AV_DATA:-/work/data_av} TORCH_THREADS=1
N="nice -n 19"
$N $PY tools/data/generate_av.py --out $AV_DATA/heldout --clips 48 --split heldout --seed 2
$N $PY tools/data/generate_av.py --out $AV_DATA/train --clips 224 --seed 1
$PY tools/train_av/train_tokenizer.py
# 1. vocoder on ground-truth mels (independent of everything else), beside the rest
( $N $PY tools/train_av/train_autoencoders.py vocoder --minutes 60 --batch 4 &&
  $N $PY tools/train_av/train_autoencoders.py vocoder --minutes 30 --batch 4 ) &
# 2. the VAEs jointly (encoder + decoder on the posterior mean), ~11 minutes
$N $PY tools/train_av/train_autoencoders.py video --minutes 11 --batch 2 --lr 1e-3 &
$N $PY tools/train_av/train_autoencoders.py audio --minutes 11 --batch 2 --lr 1e-3 &
wait %2 %3
# 3. encoders frozen: the DiT trains on their latents while the decoders go on training
$N $PY tools/train_av/train_autoencoders.py video --decoder-only --minutes 52 --batch 2 --lr 1e-3 &
$N $PY tools/train_av/train_autoencoders.py audio --decoder-only --minutes 52 --batch 2 --lr 1e-3 &
$N $PY tools/train_av/train_dit.py --minutes 52 --batch 8 --stats-windows 32
wait
# 4. export (f16, diffusers layout) and the held-out editing check (a short check: nice 5)
$PY tools/train_av/export.py --out ${AV_EXPORT:-plugin-manifest/Resources/models/avedit}
nice -n 5 $PY tools/train_av/sample_eval.py --model ${AV_EXPORT:-plugin-manifest/Resources/models/avedit} \
    --clips 4 --cases gender,hair,pitch --methods omniedit,flowedit --probe-windows 60
