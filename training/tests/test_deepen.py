"""A deeper copy of a student computes what the original does until it is trained (deepen)."""
import unittest

import torch

from relay_train.deepen import deepen
from relay_train.model import Llama, ModelConfig


class DeepenTest(unittest.TestCase):
    def test_inserted_blocks_start_as_the_identity_and_the_old_blocks_keep_their_order(self):
        torch.manual_seed(0)
        old = Llama(ModelConfig(vocab_size=40, dim=16, n_layers=2, n_heads=2, ffn_dim=32, max_seq_len=32)).eval()
        tokens = torch.randint(0, 40, (2, 12))
        for at in (0, 1, 2):
            new = deepen(old, at, 1)
            self.assertEqual(new.cfg.n_layers, 3)
            self.assertTrue(torch.allclose(new(tokens), old(tokens), atol=1e-6))
            kept = [b for i, b in enumerate(new.blocks) if i != at]
            for a, b in zip(kept, old.blocks):
                self.assertTrue(torch.equal(a.wq.weight, b.wq.weight))
            self.assertFalse(torch.equal(new.blocks[at].wq.weight, torch.zeros_like(new.blocks[at].wq.weight)))

    def test_bad_positions_are_refused_by_name(self):
        old = Llama(ModelConfig(vocab_size=40, dim=16, n_layers=2, n_heads=2, ffn_dim=32, max_seq_len=32))
        with self.assertRaisesRegex(ValueError, "--at"):
            deepen(old, 3, 1)


if __name__ == "__main__":
    unittest.main()
