#!/usr/bin/env python3
"""The AV model's tokenizer: a SentencePiece unigram model (Gemma's conventions: pad 0, eos 1, bos 2, unk 3, byte
fallback, so any text tokenizes) trained with the `sentencepiece` package on every caption the generator can write
(all attribute combinations, tools/data/av_scenes.caption) plus a few plain sentences of the same words.

    python tools/train_av/train_tokenizer.py      # -> $AV_CKPT/tokenizer.model (deterministic)
"""
import io
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import av_scenes  # noqa: E402
import common as C  # noqa: E402

VOCAB = 384  # 256 byte pieces + specials + ~120 word pieces (Gemma3 vocab_size in common.GEMMA3 follows this)


def all_captions():
    caps = []
    for g, p, age, ex, beard in itertools.product(("woman", "man"), ("high", "low"), ("young", "old"),
                                                  ("smiling", "serious"), (False, True)):
        if beard and g == "woman":
            continue
        for hair in (av_scenes.YOUNG_HAIR if age == "young" else av_scenes.OLD_HAIR):
            caps.append(av_scenes.caption({"kind": "speech", "gender": g, "pitch": p, "age": age, "hair": hair,
                                           "beard": beard, "expression": ex}))
    for size in ("small", "large"):
        caps.append(av_scenes.caption({"kind": "bell", "size": size}))
    for col in av_scenes.BALL_COLOURS:
        caps.append(av_scenes.caption({"kind": "ball", "colour": col}))
    for s in ("light", "heavy"):
        caps.append(av_scenes.caption({"kind": "rain", "strength": s}))
    return caps


def train(out_path):
    import sentencepiece as spm
    text = "\n".join(all_captions()) + "\n"
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()), model_writer=model, vocab_size=VOCAB, model_type="bpe",
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, byte_fallback=True, character_coverage=1.0,
        hard_vocab_limit=False, num_threads=1, shuffle_input_sentence=False,
        split_digits=True, add_dummy_prefix=False, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
        unk_piece="<unk>", minloglevel=2)
    with open(out_path + ".tmp", "wb") as f:
        f.write(model.getvalue())
    os.replace(out_path + ".tmp", out_path)
    sp = spm.SentencePieceProcessor(model_file=out_path)
    return sp


def main():
    os.makedirs(C.CKPT, exist_ok=True)
    sp = train(os.path.join(C.CKPT, "tokenizer.model"))
    caps = all_captions()
    longest = max(len(sp.encode(c)) + 1 for c in caps)
    print("vocab %d pieces, %d captions, longest %d tokens with BOS (limit %d)" % (sp.get_piece_size(), len(caps),
                                                                                   longest, C.TEXT_LEN))
    assert sp.get_piece_size() <= C.GEMMA3["vocab_size"] and longest <= C.TEXT_LEN
    print(sp.encode(caps[0], out_type=str))


if __name__ == "__main__":
    main()
