#!/usr/bin/env bash
# The main job (`make demo`): LipSync on the example clip — a generated face saying one sentence
# (Examples/clip + its speech Examples/source.wav) — re-animated to a different sentence
# (Examples/voice.wav), through the headless host and the bundle's built-in model.
# Usage: Examples/demo.sh OFX_HOST BUNDLE OMNIEDIT_TOOL
# Writes to $OMNIEDIT_DEMO_OUT (default out/): lipsync.mp4 (edited video with the new speech),
# frames/edited####.png, contact-sheet.png (source / edited / ground truth, every 4th frame), metrics.json.
set -euo pipefail
host=${1:?ofx-host binary}
bundle=${2:?OmniEdit.ofx.bundle}
tool=${3:?omniedit binary}
here=$(cd "$(dirname "$0")" && pwd)
out=${OMNIEDIT_DEMO_OUT:-out}
mkdir -p "$out/frames"
# The step and result caches live beside the outputs, so a second run is instant and nothing is left elsewhere.
params=(--set "audioFile=$here/voice.wav" --set "sourceAudioFile=$here/source.wav" --set "cacheFolder=$out/cache")

echo "== Effects in $bundle"
"$host" list --no-search-path "$bundle"

# AV Edit (guarded like LipSync): the example clip Examples/avedit (a held-out generated speaker, made by
# tools/data/make_av_example.py) edited from its caption to another in the same style, picture and sound.
avedit() {
    local model="$bundle/Contents/Resources/models/avedit"
    if [ ! -f "$model/omniedit.json" ]; then
        echo
        echo "This bundle has no built-in AV model (plugin-manifest/Resources/models/avedit is missing), so AV Edit"
        echo "renders nothing here. Point its 'Model folder' (or omniedit avedit --model) at an LTX-2 folder to render."
        return 0
    fi
    local ex="$here/avedit"
    local src tgt
    src=$(cat "$ex/source-prompt.txt")
    tgt=$(cat "$ex/target-prompt.txt")
    echo
    echo "== AV Edit (built-in model): '$src' -> '$tgt'"
    mkdir -p "$out/avedit-frames"
    # Guidance 4: what the built-in model was evaluated with (its model card); the default 10 overdrives it.
    local av=(--set "sourcePrompt=$src" --set "targetPrompt=$tgt" --set "sourceAudioFile=$ex/source.wav" --set guidance=4
              --set "cacheFolder=$out/cache")
    "$host" render "$bundle" --effect "AV Edit" --input "$ex/clip/face####.png" --frame-rate 25 \
        --output "$out/avedit-frames/edited####.png" "${av[@]}" --set "outputAudioFile=$out/avedit.wav"
    echo
    echo "== The same render as a video with the edited sound muxed in (served from the result cache)"
    "$host" render "$bundle" --effect "AV Edit" --input "$ex/clip/face####.png" --frame-rate 25 \
        --output "$out/avedit.mp4" "${av[@]}" --set "outputAudioFile=$out/avedit.wav"
    "$tool" contact-sheet --row "$ex/clip/face####.png" --row "$out/avedit-frames/edited####.png" --every 4 \
        --output "$out/avedit-contact-sheet.png"
    echo "  $out/avedit.mp4                the edited clip with its edited sound"
    echo "  $out/avedit.wav                the edited sound alone"
    echo "  $out/avedit-contact-sheet.png  rows: source, edited (every 4th frame)"
}

if [ ! -f "$bundle/Contents/Resources/models/lipsync/omniedit.json" ]; then
    echo
    echo "This bundle has no built-in LipSync model (plugin-manifest/Resources/models/lipsync is missing),"
    echo "so nothing is rendered and no fake output is written. Point the effect's 'Model folder' (or"
    echo "omniedit lipsync --model) at a HuMo model folder to render."
    avedit
    exit 0
fi

echo
echo "== LipSync (built-in model): $here/clip + $here/voice.wav"
"$host" render "$bundle" --effect LipSync --input "$here/clip/face####.png" --frame-rate 25 \
    --output "$out/frames/edited####.png" "${params[@]}"

echo
echo "== The same render as a video with the new speech muxed in (served from the result cache)"
"$host" render "$bundle" --effect LipSync --input "$here/clip/face####.png" --frame-rate 25 \
    --output "$out/lipsync.mp4" --audio "$here/voice.wav" "${params[@]}"

echo
echo "== Evaluation against the ground-truth render of the new sentence"
"$tool" evaluate --example "$here" --edited "$out/frames/edited####.png" \
    --metrics "$out/metrics.json" --contact-sheet "$out/contact-sheet.png"

echo
echo "Outputs:"
echo "  $out/lipsync.mp4        the edited clip with the new speech"
echo "  $out/contact-sheet.png  rows: source, edited, ground truth (every 4th frame)"
echo "  $out/metrics.json       sync_r: mouth opening vs the new speech (source_floor_r: the untouched clip; truth_ceiling_r: a perfect edit)"

avedit
