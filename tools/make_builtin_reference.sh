#!/usr/bin/env bash
# Renders the reference frames BuiltInModelTests compares with (run after the built-in model changes):
# frames 1-9 of the example clip, 8 steps, seed 11, on the CPU backend.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/EndToEndTests/Fixtures/builtin_reference
rm -f "$out"/ref*.png
.build/release/omniedit lipsync --input 'Examples/clip/face####.png' --frames 1-9 --audio Examples/voice.wav \
    --source-audio Examples/source.wav --model plugin-manifest/Resources/models/lipsync --output "$out/ref####.png" \
    --cache-size-mb 0 --set steps=8 --set startStep=2 --set endStep=5 --set seed=11
