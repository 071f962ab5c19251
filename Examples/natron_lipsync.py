# Render LipSync from a Natron Python script (NatronRenderer, no GUI):
#
#   OFX_PLUGIN_PATH=/path/to/build NatronRenderer -w LipSyncWriter 1-75 Examples/natron_lipsync.py
#
# run from the repository root (or install the bundle with `make install`, which puts it in
# /usr/OFX/Plugins, Natron's default OpenFX folder). Natron's Read and Write nodes come from the
# openfx-io plugins, which Natron's own packages include. Natron predefines `app` for the script and
# runs it without `__file__`, so paths are relative to the working folder (OMNIEDIT_EXAMPLES overrides
# where the examples are, OMNIEDIT_OUT the output pattern).
import os

here = os.environ.get("OMNIEDIT_EXAMPLES", os.path.join(os.getcwd(), "Examples"))
out = os.environ.get("OMNIEDIT_OUT", os.path.join(os.getcwd(), "out", "natron", "lipsync####.png"))

# The clip is 25 fps: Natron's project default is 24, which would misplace the sound against the frames.
app.getProjectParam("frameRate").setValue(25)

reader = app.createReader(os.path.join(here, "clip", "face####.png"))

fx = app.createNode("org.omniedit.LipSync")          # our plugin identifier (menu: OmniEdit > LipSync)
fx.connectInput(0, reader)
fx.getParam("audioFile").setValue(os.path.join(here, "voice.wav"))
fx.getParam("sourceAudioFile").setValue(os.path.join(here, "source.wav"))
fx.getParam("steps").setValue(20)
fx.getParam("startStep").setValue(6)
fx.getParam("endStep").setValue(16)
fx.getParam("guidance").setValue(4.5)
fx.getParam("seed").setValue(1)
fx.getParam("backend").setValue(0)                   # 0 Auto, 1 Vulkan, 2 CPU

writer = app.createWriter(out)
writer.setScriptName("LipSyncWriter")
writer.connectInput(0, fx)
