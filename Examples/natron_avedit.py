# Render AV Edit from a Natron Python script (NatronRenderer, no GUI):
#
#   OFX_PLUGIN_PATH=/path/to/build NatronRenderer -w AVEditWriter 1-49 Examples/natron_avedit.py
#
# run from the repository root (or install the bundle with `make install`). Natron carries no sound
# through its graph: the effect reads the clip's sound from 'Source audio' and writes the edited sound to
# 'Output audio' (atomically) once every frame of the clip has been rendered; mux it with the frames
# afterwards (e.g. `ofx-host concat`, or ffmpeg). Natron predefines `app` and runs the script without
# `__file__`, so paths are relative to the working folder (OMNIEDIT_EXAMPLES overrides where the examples
# are, OMNIEDIT_OUT the output pattern, OMNIEDIT_OUT_AUDIO the edited sound).
import json
import os

here = os.environ.get("OMNIEDIT_EXAMPLES", os.path.join(os.getcwd(), "Examples"))
out = os.environ.get("OMNIEDIT_OUT", os.path.join(os.getcwd(), "out", "natron", "avedit####.png"))
out_audio = os.environ.get("OMNIEDIT_OUT_AUDIO", os.path.join(os.getcwd(), "out", "natron", "avedit.wav"))
with open(os.path.join(here, "avedit", "prompts.json")) as f:
    prompts = json.load(f)

# The clip is 25 fps: Natron's project default is 24, which would misplace the sound against the frames.
app.getProjectParam("frameRate").setValue(25)

reader = app.createReader(os.path.join(here, "avedit", "clip", "face####.png"))

fx = app.createNode("org.omniedit.AVEdit")           # our plugin identifier (menu: OmniEdit > AV Edit)
fx.connectInput(0, reader)
fx.getParam("sourcePrompt").setValue(prompts["source"])
fx.getParam("targetPrompt").setValue(prompts["target"])
fx.getParam("sourceAudioFile").setValue(os.path.join(here, "avedit", "source.wav"))
fx.getParam("outputAudioFile").setValue(out_audio)
fx.getParam("guidance").setValue(4)                  # the built-in model's setting (its model card)
fx.getParam("seed").setValue(1)
fx.getParam("backend").setValue(0)                   # 0 Auto, 1 Vulkan, 2 CPU

writer = app.createWriter(out)
writer.setScriptName("AVEditWriter")
writer.connectInput(0, fx)
