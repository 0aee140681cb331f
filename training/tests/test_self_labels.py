"""Commands placed where a student, reading its own commands, would go wrong (self_labels.place),
and the warm-up mode that labels with the student being trained ("number_tail_self")."""
import unittest

import torch

from relay_train import self_labels, sft, task, warmup
from relay_train.rollout import command_tokens
from relay_train.tokenizer import CALL, END_CALL, VOCAB_SIZE


class ReferenceReaderFake:
    """Test double for a student that reads commands: it knows one reference answer `ref` and is
    sure of its next token, skipping command spans to find where it is, except that it is sure of
    another token at reference indices `wrong_at`, prefers the reference with probability ~0.6 at
    `margin_at`, puts most of its mass on `<call>` at `call_at` (the reference still first among
    the other tokens), and with `derails` gets every digit wrong once a command is in its context."""

    def __init__(self, ref, wrong_at=(), margin_at=(), call_at=(), derails=False):
        self.ref, self.wrong_at, self.margin_at, self.call_at, self.derails = ref, wrong_at, margin_at, call_at, derails

    def eval(self):
        return self

    def __call__(self, tokens):
        logits = torch.zeros(*tokens.shape, VOCAB_SIZE)
        for b in range(tokens.shape[0]):
            seen, in_command, commanded = 0, False, False
            for p, tok in enumerate(tokens[b].tolist()):
                if tok == CALL:
                    in_command, commanded = True, True
                elif tok == END_CALL:
                    in_command = False
                elif not in_command:
                    seen += 1
                if in_command or seen >= len(self.ref):
                    continue
                self._predict(logits[b, p], seen, commanded)
        return logits

    def _predict(self, row, t, commanded):
        target = self.ref[t]
        row[target] = 50.0
        if t in self.wrong_at or (self.derails and commanded and chr(target).isdigit()):
            row[(target + 1) % 256] = 60.0
        if t in self.margin_at:
            row[target] = 6.0          # p(reference) ~ 0.6 against 255 other tokens at 0
        if t in self.call_at:
            row[CALL] = 70.0


def reference(seed=0):
    q = next(task.train_sampler(seed, set()))
    toks, start = sft.encode_example(q)
    return q, toks, start


def digits_starting_numbers(toks, start):
    """Reference indices where a number of at least two digits starts, after `start`."""
    return [t for t in range(start, len(toks) - 1)
            if task.number_length(toks, t) >= 2 and not chr(toks[t - 1]).isdigit() and chr(toks[t]).isdigit()]


# A warm-up config in the self-placed mode, as ReferencePlacer reads it.
SELF_PLACED_WARMUP = {"placement_scale": 5.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0,
                      "digit_decay": 1.0, "reference_placement_scale": 5.0, "reference_teacher_loss": True,
                      "reference_placement": "number_tail_self", "reference_threshold": 0.0, "reference_max_calls": 4,
                      "silent_calls": 0}


class SelfLabelsTest(unittest.TestCase):
    def test_a_command_before_the_wrong_digit_asks_for_the_rest_of_its_number(self):
        _, toks, start = reference()
        t = digits_starting_numbers(toks, start)[0] + 1          # the number's second digit
        [lab] = self_labels.place(ReferenceReaderFake(toks, wrong_at={t}), [(toks, start)], 0.0, 4)
        n = task.number_length(toks, t)
        self.assertEqual(lab.calls, [(t, n)])
        self.assertTrue(lab.clean)
        self.assertEqual(lab.tokens, toks[:t] + command_tokens(n) + toks[t:])
        self.assertEqual(lab.teacher_tokens, n)
        self.assertEqual(lab.answer_tokens, len(toks) - start + len(command_tokens(n)) - n)

    def test_the_scan_resumes_after_the_teachers_turn(self):
        _, toks, start = reference()
        first, second = digits_starting_numbers(toks, start)[:2]
        inside_first_call = first + 1                  # the teacher writes it: no command of its own
        fake = ReferenceReaderFake(toks, wrong_at={first, inside_first_call, second})
        [lab] = self_labels.place(fake, [(toks, start)], 0.0, 4)
        self.assertEqual(lab.calls, [(first, task.number_length(toks, first)), (second, task.number_length(toks, second))])
        self.assertTrue(lab.clean)

    def test_the_student_reads_its_commands_unless_told_not_to(self):
        _, toks, start = reference()
        first = digits_starting_numbers(toks, start)[0]
        fake = ReferenceReaderFake(toks, wrong_at={first}, derails=True)
        [in_context] = self_labels.place(fake, [(toks, start)], 0.0, 4)
        [hidden] = self_labels.place(fake, [(toks, start)], 0.0, 4, in_context=False)
        self.assertEqual(len(in_context.calls), 4)     # each command derails the next number: calls run out
        self.assertFalse(in_context.clean)
        self.assertEqual(hidden.calls, [(first, task.number_length(toks, first))])
        self.assertTrue(hidden.clean)

    def test_an_error_no_command_can_cover_leaves_the_answer_unclean(self):
        _, toks, start = reference()
        newline = toks.index(ord("\n"), start)
        [lab] = self_labels.place(ReferenceReaderFake(toks, wrong_at={newline}), [(toks, start)], 0.0, 4)
        self.assertEqual(lab.calls, [])
        self.assertFalse(lab.clean)
        [sure] = self_labels.place(ReferenceReaderFake(toks), [(toks, start)], 0.0, 4)
        self.assertEqual((sure.calls, sure.clean), ([], True))

    def test_the_margin_labels_unsure_digits_and_command_tokens_do_not_count_as_errors(self):
        _, toks, start = reference()
        unsure, calling = digits_starting_numbers(toks, start)[:2]
        fake = ReferenceReaderFake(toks, margin_at={unsure}, call_at={calling})
        [errors_only] = self_labels.place(fake, [(toks, start)], 0.0, 4)
        self.assertEqual(errors_only.calls, [])        # p(<call>) high, yet the digit it would write is right
        [with_margin] = self_labels.place(fake, [(toks, start)], 0.7, 4)
        self.assertEqual([t for t, _ in with_margin.calls], [unsure])

    def test_summary_pools_teacher_tokens_over_all_response_tokens(self):
        _, toks, start = reference()
        t = digits_starting_numbers(toks, start)[0]
        labels = self_labels.place(ReferenceReaderFake(toks, wrong_at={t}), [(toks, start)], 0.0, 4)
        labels += self_labels.place(ReferenceReaderFake(toks, wrong_at={start - 1 + len(toks) - start}), [(toks, start)], 0.0, 4)
        s = self_labels.summarize(labels)
        n = task.number_length(toks, t)
        answer = len(toks) - start
        self.assertEqual(s["accuracy"], 0.5)           # the second gets `</s>` wrong: nothing covers it
        self.assertAlmostEqual(s["rho"], n / (2 * answer + len(command_tokens(n))))
        self.assertEqual(s["calls_per_answer"], 0.5)

    def test_the_warmup_mode_labels_with_the_student_as_it_is_now(self):
        q, toks, start = reference()
        cfg = dict(SELF_PLACED_WARMUP)
        fake = ReferenceReaderFake(toks)
        placer = warmup.ReferencePlacer(fake, cfg, seed=0)
        self.assertEqual(placer([q]), [sft.answer_example(q)])
        t = digits_starting_numbers(toks, start)[0]
        fake.wrong_at = {t}                            # the student changed while training
        [(tokens, mask)] = placer([q])
        n = task.number_length(toks, t)
        self.assertEqual(tokens, toks[:t] + command_tokens(n) + toks[t:])
        self.assertEqual(mask, [0.0] * start + [1.0] * (len(tokens) - start))

    def test_silent_commands_are_read_not_taught(self):
        q, toks, start = reference()
        t = digits_starting_numbers(toks, start)[0]
        n = task.number_length(toks, t)
        tokens, mask, at = self_labels.splice(toks, start, [(t, n)], 1.0, silent=frozenset({t}))
        cmd = command_tokens(n)
        self.assertEqual(tokens, toks[:t] + cmd + toks[t:])
        # the command is context only; the teacher's turn and the rest stay targets
        self.assertEqual(mask, [0.0] * start + [1.0] * (t - start) + [0.0] * len(cmd) + [1.0] * (len(toks) - t))
        self.assertEqual([tokens[i] for i in at], toks)

    def test_silent_commands_ask_for_the_rest_of_a_number_and_do_not_overlap(self):
        import random
        q, toks, start = reference()
        seen = 0
        for seed in range(200):
            extra = self_labels.with_silent_calls(random.Random(seed), toks, start, 2)
            self.assertLessEqual(len(extra), 2)
            seen += len(extra)
            for t, n in extra:
                self.assertGreaterEqual(t, start)
                self.assertEqual(n, task.number_length(toks, t))
                self.assertGreater(n, 0)
            self.assertEqual(extra, sorted(extra))
            self.assertTrue(all(t >= a + n for (a, n), (t, _) in zip(extra, extra[1:])))   # none inside another's turn
        self.assertGreater(seen, 100)

    def test_the_warmup_mode_adds_silent_commands_only_when_asked(self):
        q, toks, start = reference()
        cfg = dict(SELF_PLACED_WARMUP)
        fake = ReferenceReaderFake(toks)
        self.assertEqual(warmup.ReferencePlacer(fake, cfg, seed=0)([q] * 8), [sft.answer_example(q)] * 8)
        placed = warmup.ReferencePlacer(fake, cfg | {"silent_calls": 2}, seed=0)([q] * 8)
        with_commands = [(tokens, mask) for tokens, mask in placed if CALL in tokens]
        self.assertTrue(with_commands)
        for tokens, mask in with_commands:
            for i, tok in enumerate(tokens):
                if tok in (CALL, END_CALL):
                    self.assertEqual(mask[i], 0.0)

    def test_labels_are_placed_with_the_silent_commands_in_context_never_inside_their_turns(self):
        q, toks, start = reference()
        t = digits_starting_numbers(toks, start)[0]
        n = task.number_length(toks, t)
        fake = ReferenceReaderFake(toks, derails=True)     # wrong on every digit once it has read a command
        [plain] = self_labels.place(fake, [(toks, start)], 0.0, 4)
        self.assertEqual(plain.calls, [])
        [lab] = self_labels.place(fake, [(toks, start)], 0.0, 4, silent=[[(t, n)]])
        self.assertTrue(lab.calls)
        first = next(k for k in range(t + n, len(toks)) if task.number_length(toks, k) > 0)
        self.assertEqual(lab.calls[0][0], first)           # not inside the silent turn, and right after it
        cmd = command_tokens(n)
        self.assertEqual(lab.tokens[:t + len(cmd)], toks[:t] + cmd)
        self.assertEqual(lab.mask[t:t + len(cmd)], [0.0] * len(cmd))
        self.assertEqual(lab.teacher_tokens, n + sum(m for _, m in lab.calls))


if __name__ == "__main__":
    unittest.main()
