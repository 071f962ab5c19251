"""Generator tests: python3 -m unittest discover -s tools/data   (or: cd tools/data && python3 -m unittest)"""
import hashlib
import json
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402
import mouth_metric  # noqa: E402
import sentences  # noqa: E402


def digest(folder):
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


class GenerateTests(unittest.TestCase):
    def test_fixed_seed_gives_identical_bytes_whatever_the_workers(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, \
                tempfile.TemporaryDirectory() as c:
            generate.generate(a, 3, seed=5, workers=1, progress=False)
            generate.generate(b, 3, seed=5, workers=2, progress=False)
            generate.generate(c, 3, seed=6, workers=1, progress=False)
            self.assertEqual(digest(a), digest(b))
            self.assertNotEqual(digest(a), digest(c))

    def test_contract(self):
        with tempfile.TemporaryDirectory() as d:
            generate.generate(d, 2, seed=3, split="heldout", workers=1, progress=False)
            index = json.load(open(os.path.join(d, "index.json")))
            self.assertEqual([e["file"] for e in index["entries"]], ["clip_00000.npz", "clip_00001.npz"])
            z = np.load(os.path.join(d, "clip_00001.npz"), allow_pickle=False)
            n = len(z["frames"])
            self.assertTrue(50 <= n <= 100)
            self.assertEqual((z["frames"].dtype, z["frames"].shape), (np.uint8, (n, 128, 128, 3)))
            self.assertEqual((z["audio"].dtype, z["audio"].shape), (np.float32, (n * 640,)))
            self.assertEqual((z["opening"].dtype, z["opening"].shape), (np.float32, (n,)))
            self.assertEqual((z["visemes"].dtype, z["visemes"].shape), (np.float32, (n, 3)))
            self.assertEqual((z["mouth_box"].dtype, z["mouth_box"].shape), (np.int32, (n, 4)))
            self.assertEqual((z["face_seed"].dtype, z["face_seed"].shape), (np.int64, ()))
            self.assertEqual(int(z["face_seed"]) % 2, 1)  # held-out faces are odd
            self.assertIn(str(z["sentence"]), sentences.HELDOUT)
            self.assertIn(str(z["voice"]), generate.HELDOUT_VOICES)
            self.assertTrue(np.array_equal(z["opening"], z["visemes"][:, 0]))
            b = z["mouth_box"]
            self.assertTrue(np.all(b[:, 0] >= 0) and np.all(b[:, 2] <= 128) and np.all(b[:, 2] - b[:, 0] >= 20))
            self.assertGreater(np.abs(z["audio"]).max(), 0.05)

    def test_splits_are_disjoint(self):
        self.assertFalse(set(sentences.TRAIN) & set(sentences.HELDOUT))
        self.assertFalse(set(generate.TRAIN_VOICES) & set(generate.HELDOUT_VOICES))

    def test_metric_follows_the_opening(self):
        arrays, _ = generate.make_clip(11, "heldout", 0)
        m = mouth_metric.measure(arrays["frames"], arrays["mouth_box"])
        self.assertGreater(np.corrcoef(m, arrays["opening"])[0, 1], 0.9)


if __name__ == "__main__":
    unittest.main()
