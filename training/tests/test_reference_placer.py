"""The warm-up's reference-answer labels (warmup.ReferencePlacer): where commands go in a
reference answer, by the frozen SFT student's confidence or errors (frozen students: test doubles)."""
import math
import unittest

import torch

from relay_train import sft, task, warmup
from relay_train.tokenizer import CALL, END_CALL, VOCAB_SIZE

class PeakedStudentFake:
    """Test double for the frozen student of ReferencePlacer: every next-token distribution is
    the same, peaked (`peak` 50: p_max ~1) or flat (`peak` 0), except that the tokens at
    `flat_at` get a flat one."""
    def __init__(self, peak, flat_at=()):
        self.peak, self.flat_at = peak, flat_at

    def eval(self):
        return self

    def __call__(self, tokens):
        logits = torch.zeros(*tokens.shape, VOCAB_SIZE)
        logits[..., 0] = self.peak
        for t in self.flat_at:
            logits[:, t - 1, 0] = 0.0      # the logits at t - 1 predict token t
        return logits

class ReferenceStudentFake:
    """Test double for the frozen student of ReferencePlacer in "number_tail_error" mode: sure of
    each reference token, except that at `wrong_at` it is sure of another token (an error) and at
    `margin_at` it still prefers the reference token, with probability 0.6."""
    def __init__(self, wrong_at=(), margin_at=()):
        self.wrong_at, self.margin_at = wrong_at, margin_at

    def eval(self):
        return self

    def __call__(self, tokens):
        logits = torch.zeros(*tokens.shape, VOCAB_SIZE)
        for t in range(1, tokens.shape[1]):              # the logits at t - 1 predict token t
            ref = tokens[0, t].item()
            logits[:, t - 1, ref] = 50.0
            if t in self.wrong_at:
                logits[:, t - 1, (ref + 1) % 256] = 60.0
            if t in self.margin_at:
                logits[:, t - 1, ref] = math.log(1.5 * (VOCAB_SIZE - 1))
        return logits


class ReferencePlacerTest(unittest.TestCase):
    def test_reference_placer_calls_only_where_the_student_is_unsure(self):
        cfg = {"placement_scale": 5.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0, "digit_decay": 1.0,
               "reference_placement_scale": 5.0, "reference_teacher_loss": False, "reference_placement": "uncertain",
               "reference_threshold": 0.0, "reference_max_calls": 0, "silent_calls": 0}
        q = next(task.train_sampler(0, set()))
        ref_tokens, ref_mask = sft.answer_example(q)
        sure = warmup.ReferencePlacer(PeakedStudentFake(50.0), cfg, seed=0)
        self.assertEqual(sure([q]), [(ref_tokens, ref_mask)])
        unsure = warmup.ReferencePlacer(PeakedStudentFake(0.0), cfg, seed=0)
        for seed in range(20):
            unsure.rng.seed(seed)
            tokens, mask = unsure([q])[0]
            self.assertEqual(tokens.count(CALL), 3)           # a flat student calls max_calls times
            kept, teacher, i = [], 0, 0
            while i < len(tokens):                            # strip commands; teacher tokens carry no loss
                if tokens[i] == CALL:
                    j = tokens.index(END_CALL, i)
                    n = int(bytes(tokens[i + 1:j]).decode())
                    self.assertTrue(1 <= n <= 9)
                    self.assertEqual(mask[i:j + 1], [1.0] * (j + 1 - i))   # the command is learned
                    self.assertEqual(mask[j + 1:j + 1 + n], [0.0] * min(n, len(tokens) - j - 1))
                    teacher += min(n, len(tokens) - j - 1)
                    i = j + 1
                    continue
                kept.append(tokens[i])
                i += 1
            self.assertEqual(kept, ref_tokens)                # the teacher's turn is the reference text
            self.assertEqual(sum(mask), sum(ref_mask) - teacher + 3 * 3)
        trained = warmup.ReferencePlacer(PeakedStudentFake(0.0), dict(cfg, reference_teacher_loss=True), seed=0)
        tokens, mask = trained([q])[0]
        self.assertEqual(sum(mask), sum(ref_mask) + 3 * 3)    # teacher span trained too: only commands added
        half = warmup.ReferencePlacer(PeakedStudentFake(0.0), dict(cfg, reference_calls=0.5), seed=0)
        placed = [CALL in tokens for tokens, _ in half([q] * 400)]
        self.assertTrue(120 < sum(placed) < 280)              # about half the answers get commands

    def test_reference_placer_number_tail(self):
        cfg = {"placement_scale": 0.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0, "digit_decay": 1.0,
               "reference_placement_scale": 0.0, "reference_teacher_loss": True, "reference_placement": "number_tail",
               "reference_threshold": 0.5, "reference_max_calls": 2, "silent_calls": 0}
        q = task.Question((37, 48, 15, 6), ("*", "+", "-"))
        toks, start = sft.encode_example(q)
        text = bytes(t for t in toks[start:] if t < 256).decode()
        self.assertTrue(text.startswith("37*48+15-6\n73000*8=69200\n"))
        first_result = start + text.index("=69200") + 1          # "69200": unsure of its 3rd digit
        sign = start + text.index("=+19710") + 1                  # "+19710": unsure of the sign
        plus = start + text.index("+15")                          # an operator: no number starts there
        placer = warmup.ReferencePlacer(PeakedStudentFake(50.0, flat_at=[first_result + 2, plus, sign, len(toks) - 3]), cfg, seed=0)
        tokens, mask = placer([q])[0]
        placed = bytes(t if t < 256 else ord("|") for t in tokens[start:]).decode()
        # the rest of the number is asked for; two commands at most (the third unsure digit gets none)
        self.assertIn("=69|3|200", placed)
        self.assertIn("=|6|+19710", placed)
        self.assertEqual(tokens.count(CALL), 2)
        stripped = [t for i, t in enumerate(tokens) if t not in (CALL, END_CALL)
                    and not (tokens[i - 1] == CALL and tokens[i + 1] == END_CALL)]
        self.assertEqual(stripped, toks)                          # the teacher's turn is the reference text
        self.assertEqual(mask[:start], [0.0] * start)
        self.assertEqual(sum(mask), len(toks) - start + 2 * 3)   # teacher span trained: only commands added
        self.assertEqual(task.number_length(list(b"=+19710\n"), 1), 6)
        self.assertEqual(task.number_length(list(b"x+15"), 1), 0)   # a sign not after '=' is an operator
        self.assertEqual(task.number_length(list(b"=-\n"), 1), 0)   # a sign with no digits is no number

    def test_reference_placer_number_tail_error(self):
        cfg = {"placement_scale": 0.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0, "digit_decay": 1.0,
               "reference_placement_scale": 0.0, "reference_teacher_loss": True,
               "reference_placement": "number_tail_error", "reference_threshold": 0.0, "reference_max_calls": 2, "silent_calls": 0}
        q = task.Question((37, 48, 15, 6), ("*", "+", "-"))
        toks, start = sft.encode_example(q)
        text = bytes(t for t in toks[start:] if t < 256).decode()
        first_result = start + text.index("=69200") + 1
        sign = start + text.index("=+19710") + 1
        plus = start + text.index("+15")

        def placed(student, **over):
            tokens, mask = warmup.ReferencePlacer(student, dict(cfg, **over), seed=0)([q])[0]
            self.assertEqual(sum(mask), len(toks) - start + 3 * tokens.count(CALL))   # only commands added
            return bytes(t if t < 256 else ord("|") for t in tokens[start:]).decode(), tokens.count(CALL)

        # a wrong digit gets a command for the rest of its number; a second error inside that
        # turn needs none; a wrong operator is no number; a sure-but-unlikely token is no error
        student = ReferenceStudentFake(wrong_at=[first_result + 2, first_result + 3, plus], margin_at=[sign])
        text_placed, calls = placed(student)
        self.assertIn("=69|3|200", text_placed)
        self.assertIn("=+19710", text_placed)
        self.assertEqual(calls, 1)
        # the margin: p(reference token) 0.6 below the threshold calls too, within the cap of 2
        text_placed, calls = placed(student, reference_threshold=0.7)
        self.assertIn("=69|3|200", text_placed)
        self.assertIn("=|6|+19710", text_placed)
        self.assertEqual(calls, 2)
        # the same student read by p_max ("number_tail") is sure everywhere but at the margin
        text_placed, calls = placed(student, reference_placement="number_tail", reference_threshold=0.7)
        self.assertEqual((calls, "=|6|+19710" in text_placed), (1, True))
        # a student sure of every reference token gets no command
        self.assertEqual(placed(ReferenceStudentFake())[1], 0)


if __name__ == "__main__":
    unittest.main()
