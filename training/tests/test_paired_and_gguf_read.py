import json
import os
import tempfile
import unittest

import torch

from relay_train import paired
from relay_train.gguf import write_gguf
from relay_train.gguf_read import load_llama
from relay_train.model import Llama, ModelConfig
from relay_train.tokenizer import VOCAB_SIZE


class McNemarTest(unittest.TestCase):
    def test_exact_p_values(self):
        self.assertEqual(paired.mcnemar_exact(0, 0), 1.0)
        self.assertAlmostEqual(paired.mcnemar_exact(0, 6), 2 / 64)       # 2 * (1/2)^6
        self.assertAlmostEqual(paired.mcnemar_exact(1, 9), 2 * 11 / 1024)
        self.assertAlmostEqual(paired.mcnemar_exact(36, 34), paired.mcnemar_exact(34, 36))
        self.assertEqual(paired.mcnemar_exact(5, 5), 1.0)

    def write_run(self, d: str, correct: list[bool]) -> str:
        os.makedirs(d)
        with open(os.path.join(d, "results.jsonl"), "w") as f:
            for i, c in enumerate(correct):
                f.write(json.dumps({"index": i, "correct": c, "usage": {"llm_tokens": 1, "response_tokens": 10,
                                                                        "calls": 1}}) + "\n")
        return d

    def test_pairs_items_by_index_and_counts_discordant_pairs(self):
        with tempfile.TemporaryDirectory() as tmp:
            a = paired.load_run(self.write_run(os.path.join(tmp, "a"), [True, True, False, False]))
            b = paired.load_run(self.write_run(os.path.join(tmp, "b"), [True, False, True, True]))
            res = paired.compare(a, b)
            self.assertEqual((res["only_a"], res["only_b"]), (1, 2))
            self.assertAlmostEqual(res["a"]["rho"], 0.1)
            with self.assertRaises(ValueError):
                paired.compare(a, {0: a[0]})


class GgufRoundTripTest(unittest.TestCase):
    def test_read_gives_back_the_written_model(self):
        torch.manual_seed(1)
        model = Llama(ModelConfig(VOCAB_SIZE, 16, 2, 2, 40, 64)).eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.gguf")
            write_gguf(path, model, "t")
            back = load_llama(path)
        self.assertEqual(back.cfg, model.cfg)
        tokens = torch.randint(0, VOCAB_SIZE, (2, 12))
        torch.testing.assert_close(back(tokens), model(tokens))


if __name__ == "__main__":
    unittest.main()
