#!/bin/sh
# The built-in AV Edit model, end to end, as it is run for the shipped weights (see plugin-manifest/MODEL_CARD_avedit.md).
# Shared 2-core machine: everything at nice 19 with one torch thread; each stage is time-budgeted, checkpoints every
# ~2 minutes and resumes (rerun a line to continue it). Data: tools/data/generate_av.py -> $AV_DATA/{train,heldout}.
set -e
cd "$(dirname "$0")/../.."
PY=${PY:-/work/venv-av/bin/python}
export AV_CKPT=${AV_CKPT:-/work/ckpt_av} AV_DATA=${AV_DATA:-/work/data_av} TORCH_THREADS=1
N="nice -n 19"
$N $PY tools/data/generate_av.py --out $AV_DATA/heldout --clips 48 --split heldout --seed 2
$N $PY tools/data/generate_av.py --out $AV_DATA/train --clips 224 --seed 1
$PY tools/train_av/train_tokenizer.py
# 1. the autoencoders and the vocoder, side by side; the encoders are then frozen (the DiT uses their latents) and
#    the decoders go on training beside the DiT
$N $PY tools/train_av/train_autoencoders.py video --minutes ${VAE_MINUTES:-20} --batch 4 &
$N $PY tools/train_av/train_autoencoders.py audio --minutes ${VAE_MINUTES:-20} --batch 4 &
$N $PY tools/train_av/train_autoencoders.py vocoder --minutes ${VOCODER_MINUTES:-100} --batch 4 &
wait %1 %2
$N $PY tools/train_av/train_autoencoders.py video --decoder-only --minutes ${DIT_MINUTES:-80} --batch 4 &
$N $PY tools/train_av/train_autoencoders.py audio --decoder-only --minutes ${DIT_MINUTES:-80} --batch 4 &
# 2. DiT + connectors + text encoder on the frozen encoders' latents
$N $PY tools/train_av/train_dit.py --minutes ${DIT_MINUTES:-80} --batch 8
wait
# 3. export (f16, diffusers layout) and the held-out editing check
$PY tools/train_av/export.py
$N $PY tools/train_av/sample_eval.py --clips 12
