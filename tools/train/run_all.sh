#!/bin/sh
# The built-in LipSync model, end to end, as it was run for the shipped weights (see MODEL_CARD_lipsync.md).
# 2 shared cores: everything niced; single-threaded torch where two processes share the machine.
# Data: python tools/data/generate.py (train 1500 clips, heldout 40) -> /work/data/{train,heldout}.
set -e
cd "$(dirname "$0")/../.."
PY=${PY:-/work/venv/bin/python}
export LIPSYNC_CKPT=${LIPSYNC_CKPT:-/work/ckpt} LIPSYNC_DATA=${LIPSYNC_DATA:-/work/data}
# 1. VAE: time-budgeted phases, each resuming the last. Phases 1-2 ran an earlier revision of train_vae.py whose
#    batches were 6 crops (2 full frames in the full-resolution part); phase 1 (18 min budget) was stopped after
#    16 min / ~60 steps on a busy machine and its last periodic save resumed. The step counts depend on the load.
VAE_MINUTES=16 TORCH_THREADS=2 VAE_T=5 VAE_B=6 nice -n 10 $PY tools/train/train_vae.py
VAE_MINUTES=14 TORCH_THREADS=1 VAE_T=5 VAE_B=6 VAE_RESUME=1 VAE_LR=6e-4 VAE_FULL_AFTER=0.7 nice -n 10 $PY tools/train/train_vae.py
VAE_MINUTES=16 TORCH_THREADS=2 VAE_T=9 VAE_RESUME=1 VAE_LR=1e-3 VAE_FULL_AFTER=0.6 nice -n 10 $PY tools/train/train_vae.py
VAE_MINUTES=10 TORCH_THREADS=2 VAE_T=25 VAE_B=1 VAE_RESUME=1 VAE_LR=6e-4 VAE_FULL_AFTER=1.1 nice -n 10 $PY tools/train/train_vae.py
# (5. ran beside the DiT, after the latents were encoded: decoder only, the latent space unchanged)
VAE_MINUTES=16 TORCH_THREADS=1 VAE_T=25 VAE_B=1 VAE_RESUME=1 VAE_DECODER_ONLY=1 VAE_LR=5e-4 VAE_FULL_AFTER=0.5 nice -n 10 $PY tools/train/train_vae.py
# 2. audio encoder (seeded, frozen) + HuMo features; VAE latents of the first 120 training clips
DIT_CLIPS=240 nice -n 10 $PY tools/train/prepare_dit_data.py audio
DIT_CLIPS=120 DIT_SHARD=0/2 TORCH_THREADS=1 nice -n 10 $PY tools/train/prepare_dit_data.py latent &
DIT_CLIPS=120 DIT_SHARD=1/2 TORCH_THREADS=1 nice -n 10 $PY tools/train/prepare_dit_data.py latent &
# 3. DiT (starts as soon as 100 windows are ready, picks up more clips as they come)
DIT_MINUTES=${DIT_MINUTES:-28} DIT_MIN_WINDOWS=100 TORCH_THREADS=1 nice -n 10 $PY tools/train/train_dit.py
wait
# continuation on the then quiet machine (same data, lower LR, EMA carried on)
DIT_RESUME=1 DIT_LR=2e-4 DIT_MINUTES=10 TORCH_THREADS=2 nice -n 10 $PY tools/train/train_dit.py
# 4. export, check against the Swift loaders, held-out sanity figure
$PY tools/train/export.py
$PY tools/train/verify_export.py
$PY tools/train/sample_eval.py --windows 8 --cfg 3
