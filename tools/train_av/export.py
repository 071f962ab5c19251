#!/usr/bin/env python3
"""Export the built-in AV model (checkpoints under $AV_CKPT) to plugin-manifest/Resources/models/avedit/ in the
diffusers folder layout of an LTX-2 pipeline, every weight in f16:

  model_index.json                          LTX2Pipeline and its components
  transformer/   config.json + diffusion_pytorch_model.safetensors   LTX2VideoTransformer3DModel (EMA weights)
  vae/           config.json + diffusion_pytorch_model.safetensors   AutoencoderKLLTX2Video (latents_mean/std set)
  audio_vae/     config.json + diffusion_pytorch_model.safetensors   AutoencoderKLLTX2Audio (latents_mean/std set)
  vocoder/       config.json + diffusion_pytorch_model.safetensors   LTX2Vocoder
  connectors/    config.json + diffusion_pytorch_model.safetensors   LTX2TextConnectors (EMA weights)
  text_encoder/  config.json + model.safetensors                      Gemma3ForCausalLM (EMA weights)
  tokenizer/     tokenizer.model (SentencePiece) + tokenizer.json + tokenizer_config.json (left padding, 32 tokens)
  scheduler/     scheduler_config.json                                FlowMatchEulerDiscreteScheduler (LTX-2 shift)
  omniedit.json  frame size, fps, window, text length and the sampler defaults

    python tools/train_av/export.py [--out DIR] [--only vocoder]

--only vocoder replaces just `vocoder/` of an existing export (attempt 3 retrained the vocoder alone); every other
file stays as it was.
"""
import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
from train_dit import TextPath  # noqa: E402

OMNIEDIT = {"family": "ltx2", "width": C.RES, "height": C.RES, "fps": C.FPS, "windowLength": C.WINDOW,
            "sampleRate": C.SR, "textLength": C.TEXT_LEN, "paddingSide": "left",
            "steps": 40, "start": 12, "end": 39, "guidance": 4.0}  # guidance: what sample_eval measured the model at


def load(name, build, key="model"):
    ck = C.load_ckpt(name)
    if ck is None:
        raise SystemExit("missing checkpoint %s in %s" % (name, C.CKPT))
    m = build()
    m.load_state_dict(ck[key])
    return m.eval(), ck


def export(out):
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    vae, _ = load("video_vae", C.build_video_vae)
    audio_vae, _ = load("audio_vae", C.build_audio_vae)
    vocoder, _ = load("vocoder", C.build_vocoder)
    ck = C.load_ckpt("dit")
    if ck is None:
        raise SystemExit("missing checkpoint dit in %s" % C.CKPT)
    text = TextPath(C.build_text_encoder(), C.build_connectors())
    text.load_state_dict(ck["ema_text"])
    dit = C.build_transformer()
    dit.load_state_dict(ck["ema_dit"])
    st = ck["stats"]
    with torch.no_grad():
        vae.latents_mean.copy_(st["video_mean"])
        vae.latents_std.copy_(st["video_std"])
        audio_vae.latents_mean.copy_(st["audio_mean"])
        audio_vae.latents_std.copy_(st["audio_std"])
    for sub, m in (("transformer", dit), ("vae", vae), ("audio_vae", audio_vae), ("vocoder", vocoder),
                   ("connectors", text.connectors), ("text_encoder", text.text_encoder)):
        m.to(torch.float16).save_pretrained(os.path.join(tmp, sub), safe_serialization=True)
    tok_dir = os.path.join(tmp, "tokenizer")
    os.makedirs(tok_dir)
    shutil.copy(os.path.join(C.CKPT, "tokenizer.model"), tok_dir)
    from transformers import GemmaTokenizer
    tok = GemmaTokenizer.from_pretrained(tok_dir, padding_side="left", model_max_length=C.TEXT_LEN, add_bos_token=True)
    tok.save_pretrained(tok_dir)
    from diffusers import FlowMatchEulerDiscreteScheduler
    FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                                    base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1
                                    ).save_pretrained(os.path.join(tmp, "scheduler"))
    index = {"_class_name": "LTX2Pipeline", "_diffusers_version": __import__("diffusers").__version__,
             "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
             "vae": ["diffusers", "AutoencoderKLLTX2Video"], "audio_vae": ["diffusers", "AutoencoderKLLTX2Audio"],
             "text_encoder": ["transformers", "Gemma3ForCausalLM"], "tokenizer": ["transformers", "GemmaTokenizer"],
             "connectors": ["ltx2", "LTX2TextConnectors"], "transformer": ["diffusers", "LTX2VideoTransformer3DModel"],
             "vocoder": ["ltx2", "LTX2Vocoder"]}
    C.dump_json(os.path.join(tmp, "model_index.json"), index)
    meta = dict(OMNIEDIT, trainedSteps={"dit": ck["step"]})
    C.dump_json(os.path.join(tmp, "omniedit.json"), meta)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    total = 0
    for root, _, files in os.walk(out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("exported to %s: %.1f MB" % (out, total / 1e6))
    return total


def export_vocoder(out):
    """Replace `out/vocoder/` alone (written beside it, then swapped in)."""
    if not os.path.isfile(os.path.join(out, "model_index.json")):
        raise SystemExit("%s is not an exported model folder (no model_index.json)" % out)
    vocoder, _ = load("vocoder", C.build_vocoder)
    final, tmp = os.path.join(out, "vocoder"), os.path.join(out, "vocoder.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    vocoder.to(torch.float16).save_pretrained(tmp, safe_serialization=True)
    old = final + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(final):
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    print("exported the vocoder to %s" % final)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=C.EXPORT_DIR)
    ap.add_argument("--only", choices=["vocoder"], help="replace this component alone")
    a = ap.parse_args()
    if a.only == "vocoder":
        export_vocoder(os.path.abspath(a.out))
    else:
        export(os.path.abspath(a.out))


if __name__ == "__main__":
    main()
