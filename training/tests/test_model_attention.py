"""Attention in batch slices (model.ATTENTION_SLICE_ELEMENTS) gives exactly the whole-batch result,
in training (forward and gradients) and in `step` decoding, whose mask has a row per sequence."""
import unittest
from unittest import mock

import torch

from relay_train import model as model_module
from relay_train.model import Block, Llama, ModelConfig

CFG = ModelConfig(vocab_size=32, dim=16, n_layers=2, n_heads=2, ffn_dim=32, max_seq_len=64)


class SlicedAttentionTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = Llama(CFG)
        self.tokens = torch.randint(0, CFG.vocab_size, (7, 20))   # 7 rows: the last slice is short

    def run_sliced(self, elements: int, fn):
        """fn() under a slice budget, with the number of score tensors attention computed."""
        calls = []
        real = Block._attention

        def counted(block, q, k, v, mask):
            calls.append(q.shape[0])
            return real(block, q, k, v, mask)

        with mock.patch.object(model_module, "ATTENTION_SLICE_ELEMENTS", elements), \
                mock.patch.object(Block, "_attention", counted):
            return fn(), calls

    def forward_and_grads(self):
        self.model.zero_grad(set_to_none=True)
        logits = self.model(self.tokens)
        logits.square().mean().backward()
        return logits.detach(), [p.grad.clone() for p in self.model.parameters()]

    def test_training_forward_and_gradients_are_bit_identical(self):
        (whole, whole_grads), whole_calls = self.run_sliced(1 << 40, self.forward_and_grads)
        # 2 heads x 20 x 20 scores per row: a budget of 3 rows' worth slices 7 rows as 3 + 3 + 1.
        (sliced, sliced_grads), sliced_calls = self.run_sliced(3 * 2 * 20 * 20, self.forward_and_grads)
        self.assertEqual(whole_calls, [7, 7])
        self.assertEqual(sliced_calls, [3, 3, 1] * CFG.n_layers)
        self.assertTrue(torch.equal(whole, sliced))
        for a, b in zip(whole_grads, sliced_grads):
            self.assertTrue(torch.equal(a, b))

    def decode(self):
        """Greedy steps from per-sequence positions: the rows start at different offsets, so a mask
        row given to the wrong sequence changes its logits."""
        self.model.eval()
        cache = self.model.new_cache(7, 24)
        pos = torch.tensor([0, 1, 2, 3, 0, 1, 2])
        tok, out = self.tokens[:, 0], []
        for _ in range(5):
            logits = self.model.step(tok, pos, cache)
            out.append(logits)
            tok, pos = logits.argmax(-1), pos + 1
        return torch.stack(out)

    def test_step_decoding_is_bit_identical_with_a_mask_row_per_sequence(self):
        whole, _ = self.run_sliced(1 << 40, self.decode)
        # The first step attends over 4 positions (the furthest row is at 3): 2 rows of 2 heads x 1 x 4 scores.
        sliced, calls = self.run_sliced(2 * 2 * 4, self.decode)
        self.assertEqual(calls[:4], [2, 2, 2, 1])
        self.assertTrue(torch.equal(whole, sliced))

    def test_step_decoding_with_rows_at_different_positions_matches_the_forward_pass(self):
        """Row i starts delays[i] steps late (re-writing position 0 meanwhile), so at every step the
        rows are at different positions and `step` must attend over the furthest one's prefix."""
        self.model.eval()
        seqs, delays = self.tokens[:, :12], [0, 3, 1, 5, 2, 0, 4]
        cache = self.model.new_cache(7, 20)
        got = torch.zeros(7, 12, CFG.vocab_size)
        for t in range(12 + max(delays)):
            pos = torch.tensor([min(11, max(0, t - d)) for d in delays])
            logits = self.model.step(seqs[torch.arange(7), pos], pos, cache)
            got[torch.arange(7), pos] = logits
        with torch.no_grad():
            want = self.model(seqs)
        self.assertTrue(torch.allclose(got, want, atol=1e-5), float((got - want).abs().max()))

    def test_a_budget_below_one_row_still_computes_row_by_row(self):
        out, calls = self.run_sliced(1, lambda: self.model(self.tokens).detach())
        self.assertEqual(calls, [1] * 7 * CFG.n_layers)
        whole, _ = self.run_sliced(1 << 40, lambda: self.model(self.tokens).detach())
        self.assertTrue(torch.equal(out, whole))


if __name__ == "__main__":
    unittest.main()
