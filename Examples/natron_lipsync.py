# Render LipSync from a Natron Python script (NatronRenderer, no GUI):
#
#   OFX_PLUGIN_PATH=/path/to/build NatronRenderer -w LipSyncWriter 1-75 Examples/natron_lipsync.py
#
# (or install the bundle with `make install`, which puts it in /usr/OFX/Plugins, Natron's default
# OpenFX folder). Natron predefines `app` for the script. Paths are taken relative to this file;
# OMNIEDIT_OUT overrides the output pattern.
import os

here = os.path.dirname(os.path.abspath(__file__))
out = os.environ.get("OMNIEDIT_OUT", os.path.join(here, "..", "out", "natron", "lipsync####.png"))

reader = app.createReader(os.path.join(here, "clip", "face####.png"))

fx = app.createNode("org.omniedit.LipSync")          # our plugin identifier (menu: OmniEdit > LipSync)
fx.connectInput(0, reader)
fx.getParam("audioFile").setValue(os.path.join(here, "voice.wav"))
fx.getParam("steps").setValue(20)
fx.getParam("startStep").setValue(6)
fx.getParam("endStep").setValue(16)
fx.getParam("guidance").setValue(4.5)
fx.getParam("seed").setValue(1)
fx.getParam("backend").setValue(0)                   # 0 Auto, 1 Vulkan, 2 CPU

writer = app.createWriter(out)
writer.setScriptName("LipSyncWriter")
writer.connectInput(0, fx)
