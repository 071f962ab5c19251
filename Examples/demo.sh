#!/usr/bin/env bash
# The main job (`make demo`): LipSync on the example clip with the example voice, through the headless
# host, with the bundle's built-in model. Usage: Examples/demo.sh OFX_HOST BUNDLE
set -uo pipefail
host=${1:?ofx-host binary}
bundle=${2:?OmniEdit.ofx.bundle}
here=$(cd "$(dirname "$0")" && pwd)
out=${OMNIEDIT_DEMO_OUT:-out/demo}

echo "== Effects in $bundle"
"$host" list --no-search-path "$bundle" || exit 1

echo
echo "== LipSync: $here/clip/face####.png + $here/voice.wav -> $out/lipsync.mp4"
log=$(mktemp)
"$host" render "$bundle" --effect LipSync --input "$here/clip/face####.png" --frame-rate 25 \
    --output "$out/lipsync.mp4" --audio "$here/voice.wav" \
    --set "audioFile=$here/voice.wav" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
    echo "wrote $out/lipsync.mp4"
elif grep -q "No model is installed yet" "$log"; then
    echo
    echo "The bundle has no built-in LipSync model yet, so nothing was rendered (and no fake output was written)."
    echo "The model lands with a later release; until then this demo can only show that the effects load."
    status=0
fi
rm -f "$log"
exit "$status"
