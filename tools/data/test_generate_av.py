"""AV generator tests (not run by `make test`): cd tools/data && python3 -m unittest test_generate_av   (~20 s)

The labels must be measurable: what the caption says is found in the pixels and the audio where the labels point."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import av_measure  # noqa: E402
import av_scenes  # noqa: E402
import generate  # noqa: E402
import generate_av  # noqa: E402
import sentences  # noqa: E402
from test_generate import digest  # noqa: E402


def speaker(seed, attrs, split="heldout", index=0):
    """A speech clip with the given attributes forced (the rest drawn from the seed as the generator does)."""
    orig = av_scenes.sample_speaker
    av_scenes.sample_speaker = lambda rng: dict(orig(rng), **attrs)
    try:
        for i in range(index, index + 50):  # skip the seeds that draw a scene
            z = generate_av.make_clip(seed, split, i)
            if str(z["kind"]) == "speech":
                return z
    finally:
        av_scenes.sample_speaker = orig
    raise AssertionError("no speech clip drawn")


class GenerateAVTests(unittest.TestCase):
    def test_fixed_seed_gives_identical_bytes_whatever_the_workers_or_interruptions(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            generate_av.generate_av(a, 3, seed=4, workers=1, progress=False)
            generate_av.generate_av(b, 2, seed=4, workers=2, progress=False)  # interrupted, then completed
            generate_av.generate_av(b, 3, seed=4, workers=2, progress=False, keep_existing=True)
            self.assertEqual(digest(a), digest(b))
            with self.assertRaises(SystemExit):  # another seed must not be mixed in
                generate_av.generate_av(b, 3, seed=5, workers=1, progress=False, keep_existing=True)
            with open(os.path.join(a, "index.json")) as f:
                index = json.load(f)
            self.assertEqual(index["format"], generate_av.FORMAT)
            for e in index["entries"]:
                z = np.load(os.path.join(a, e["file"]), allow_pickle=False)
                n = len(z["frames"])
                self.assertIn(n, generate_av.FRAME_CHOICES)
                self.assertEqual(z["audio"].shape, (n * 640,))
                self.assertEqual(str(z["caption"]), av_scenes.caption(json.loads(str(z["attrs"]))))
                self.assertEqual(e["caption"], str(z["caption"]))

    def test_caption_is_a_function_of_the_attributes(self):
        a = {"kind": "speech", "gender": "woman", "pitch": "high", "age": "young", "hair": "blonde", "beard": False,
             "expression": "smiling"}
        self.assertEqual(av_scenes.caption(a), "a woman with blonde hair smiles and speaks quickly in a high voice")
        b = dict(a, gender="man", pitch="low", beard=True, hair="black", expression="serious", age="old")
        self.assertEqual(av_scenes.caption(b),
                         "an old man with black hair and a beard looks serious and speaks slowly in a low voice")

    def test_held_out_split_is_disjoint(self):
        z = speaker(7, {}, "heldout")
        # a sentence too long for the clip is cut to its longest fitting prefix of words
        said = str(z["sentence"]).rstrip(".")
        self.assertTrue(any(h.startswith(said) for h in sentences.HELDOUT), said)
        self.assertIn(str(z["voice"]), generate.HELDOUT_VOICES)
        self.assertEqual(int(z["face_seed"]) % 2, 1)

    def test_voice_pitch_follows_gender_and_pitch_words(self):
        f = {}
        for g, p in (("woman", "high"), ("man", "low"), ("woman", "low"), ("man", "high")):
            z = speaker(3, {"gender": g, "pitch": p, "age": "young"})
            f[g, p] = av_measure.median_f0(z["audio"])
            self.assertAlmostEqual(f[g, p], float(z["f0_hz"]), delta=1.0)
        self.assertGreater(f["woman", "high"], av_measure.GENDER_F0_HZ)
        self.assertLess(f["man", "low"], av_measure.GENDER_F0_HZ)
        self.assertGreater(f["woman", "high"], f["woman", "low"])
        self.assertGreater(f["man", "high"], f["man", "low"])

    def test_pixels_show_hair_colour_and_beard_where_the_labels_point(self):
        for hair in av_scenes.HAIR_COLOURS:
            age = "old" if hair in av_scenes.OLD_HAIR else "young"
            z = speaker(5, {"hair": hair, "age": age})
            self.assertEqual(av_measure.hair_colour(z["frames"], z["hair_box"]), hair)
        scores = {}
        for beard in (True, False):
            z = speaker(9, {"gender": "man", "beard": beard, "hair": "black", "age": "young"})
            skin = av_measure.box_colour(z["frames"], z["skin_box"])
            np.testing.assert_allclose(skin, z["skin_rgb"], atol=25)
            scores[beard] = av_measure.beard_score(z["frames"], z["beard_box"], skin,
                                                   av_measure.box_colour(z["frames"], z["hair_box"]))
        self.assertGreater(scores[True], 0.7)
        self.assertLess(scores[False], 0.2)

    def test_scene_sounds_follow_their_events(self):
        for i in range(40):
            z = generate_av.make_clip(2, "train", i)
            if str(z["kind"]) in ("bell", "ball") and len(z["events"]):
                env = av_measure.envelope(z["audio"], len(z["frames"]))
                for t in z["events"]:  # each strike or bounce is an onset: louder than just before it
                    f = int(t * 25)
                    self.assertGreater(env[f:f + 2].max(), 2 * env[max(0, f - 1)] + 1e-4)
                if str(z["kind"]) == "bell":
                    self.assertAlmostEqual(av_measure.peak_hz(z["audio"]) / float(z["tone_hz"]), 1.0, delta=0.1)


if __name__ == "__main__":
    unittest.main()
