"""The PyTorch relay rollout follows the serving protocol (scripted models: test doubles)."""
import math
import unittest

import torch

from relay_train import grpo, sft, task, warmup
from relay_train.rollout import CallPlacement, draw_n, rollout
from relay_train.tokenizer import BOS, CALL, END_CALL, EOS, VOCAB_SIZE, encode



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


class ScriptedModel:
    """Test double: next token = script(tokens this model has seen so far in its view)."""

    def __init__(self, script):
        self.script = script
        self.views = {}

    def new_cache(self, b, length):
        self.views = {i: [None] * length for i in range(b)}
        return None

    def step(self, tokens, pos, cache):
        logits = torch.full((len(tokens), VOCAB_SIZE), -1e9)
        for i, (t, p) in enumerate(zip(tokens.tolist(), pos.tolist())):
            self.views[i][p] = t
            seen = [x for x in self.views[i][: p + 1]]
            logits[i, self.script(seen)] = 0.0
        return logits


def text_script(text_tokens):
    """Emit a fixed token list after the prompt (prompt = up to and including the first '\\n')."""
    def script(seen):
        k = len(seen) - (seen.index(10) + 1)
        return text_tokens[k] if 0 <= k < len(text_tokens) else EOS
    return script


PROMPT = [BOS] + encode("Q <call>9</call>\n")


def cmd(n):
    return [CALL] + list(str(n).encode()) + [END_CALL]


class RolloutProtocolTest(unittest.TestCase):
    def run_case(self, student_tokens, teacher_script, **kw):
        student = ScriptedModel(None)
        teacher = ScriptedModel(teacher_script)
        # the student's script reads its own view: position k of the response it produced so far
        def s_script(seen):
            k = len(seen) - len(PROMPT)
            return student_tokens[k] if 0 <= k < len(student_tokens) else EOS
        student.script = s_script
        tr = rollout(student, teacher, [PROMPT], max_new_tokens=kw.pop("max_new_tokens", 50), **kw)[0]
        return tr, teacher

    def test_call_strips_commands_for_teacher_and_keeps_them_for_student(self):
        # student: "ab" <call>3</call> (3 teacher tokens) "z" </s>
        s = list(b"ab") + cmd(3) + [0, 0, 0] + list(b"z") + [EOS]
        tr, teacher = self.run_case(s, lambda seen: ord("T"))
        self.assertEqual(tr.text, "abTTTz")
        self.assertEqual(tr.source, ["S", "S", "C", "C", "C", "T", "T", "T", "S", "S"])
        self.assertEqual(tr.calls, [{"offset": 5, "requested": 3, "granted": 3, "written": 3}])
        self.assertEqual(tr.finish, "eos")
        self.assertAlmostEqual(tr.rho, 3 / 10)
        teacher_view = [t for t in teacher.views[0] if t is not None]
        self.assertNotIn(CALL, teacher_view[len(PROMPT):])
        self.assertNotIn(END_CALL, teacher_view)
        # the prompt's typed "<call>9</call>" is bytes, never a command
        self.assertEqual(teacher_view[:len(PROMPT)], PROMPT)

    def test_zero_is_no_call_and_budget_caps_n(self):
        tr, _ = self.run_case(cmd(0) + list(b"x") + [EOS], lambda seen: ord("T"))
        self.assertEqual(tr.calls, [])
        self.assertEqual(tr.text, "x")
        tr, _ = self.run_case(list(b"ab") + cmd(90), lambda seen: ord("T"), max_new_tokens=10)
        self.assertEqual(tr.calls[0]["granted"], 10 - 6)
        self.assertEqual(tr.finish, "length")
        self.assertEqual(len(tr.response), 10)

    def test_teacher_eos_ends_the_answer(self):
        tr, _ = self.run_case(cmd(9) + list(b"never"), lambda seen: EOS if len(seen) > len(PROMPT) + 1 else ord("T"))
        self.assertEqual(tr.finish, "llm_eos")
        self.assertEqual(tr.text, "TT")
        self.assertEqual(tr.calls[0]["written"], 3)

    def test_at_most_max_turns(self):
        # the scripted student tries to call 6 times; after 4 calls <call> is banned (5 turns)
        s = []
        for _ in range(6):
            s += cmd(1) + [0]
        s += [EOS]
        tr, _ = self.run_case(s, lambda seen: ord("T"), max_turns=5)
        self.assertEqual(len(tr.calls), 4)
        # later commands are stripped without a call; the student writes on in the same turn
        self.assertEqual(tr.text, "T" * 4 + "\x00\x00")
        self.assertEqual(tr.malformed, 0)

    def test_malformed_commands_never_call_and_are_stripped(self):
        """Same rules as relay-core's TokenCommandParser (command-rules.ts)."""
        t = lambda seen: ord("T")
        cases = [
            (list(b"a") + [END_CALL] + list(b"b"), "ab"),                          # stray_close
            (list(b"a") + [CALL, END_CALL] + list(b"b"), "ab"),                    # empty
            (list(b"a") + [CALL] + list(b"1x") + [END_CALL] + list(b"b"), "ab"),   # non_digit
            (list(b"a") + [CALL] + list(b"1234567") + [END_CALL] + list(b"b"), "ab"),  # too_many_digits
            (list(b"a") + [CALL] + list(b"123456789") + list(b"b"), "a9b"),        # too_long: 9th unit is text
            (list(b"a") + [CALL] + list(b"5") + list(b"b"), "a"),                  # unterminated at EOS
        ]
        for student, text in cases:
            tr, _ = self.run_case(student + [EOS], t)
            self.assertEqual((tr.text, tr.calls, tr.malformed), (text, [], 1), student)
        # nested: the open command is malformed, the new one calls
        tr, _ = self.run_case(list(b"a") + [CALL] + list(b"7") + cmd(2) + [0, 0] + [EOS], t)
        self.assertEqual((tr.text, len(tr.calls), tr.malformed), ("aTT", 1, 1))
        # six digits are a valid command (capped by the budget)
        tr, _ = self.run_case(cmd("000002") + [0, 0] + [EOS], t)
        self.assertEqual((tr.text, tr.calls[0]["requested"]), ("TT", 2))

    def test_placement_puts_commands_where_the_student_is_unsure(self):
        """Warm-up placement: one-hot (sure) student logits never get a command; flat
        (unsure) ones get max_calls commands, each n in 1..9 with short_share 1, clipped."""
        sure = ScriptedModel(lambda seen: ord("s") if len(seen) < len(PROMPT) + 20 else EOS)
        teacher = ScriptedModel(lambda seen: ord("T"))
        tr = rollout(sure, teacher, [PROMPT], max_new_tokens=40, relay=True, student_may_call=False,
                     placement=CallPlacement(100.0, 3, 1.0, [30], seed=1))[0]
        self.assertEqual(tr.calls, [])

        class Unsure(ScriptedModel):
            def step(self, tokens, pos, cache):
                super().step(tokens, pos, cache)
                logits = torch.zeros(len(tokens), VOCAB_SIZE)   # flat: p_max = 1/256
                logits[:, EOS] = -1e9
                return logits
        tr = rollout(Unsure(lambda seen: 0), ScriptedModel(lambda seen: ord("T")), [PROMPT], max_new_tokens=40, relay=True,
                     student_may_call=False, placement=CallPlacement(2.0, 3, 1.0, [40], seed=1))[0]
        self.assertEqual(len(tr.calls), 3)
        self.assertTrue(all(1 <= c["requested"] <= 9 for c in tr.calls))
        self.assertEqual(tr.source[:4], ["C", "C", "C", "T"])   # p = min(1, 2 * (1 - 1/256)): at once
        # n is clipped to what is left of the reference answer: 1 token long here
        tr = rollout(Unsure(lambda seen: 0), ScriptedModel(lambda seen: ord("T")), [PROMPT], max_new_tokens=40,
                     relay=True, student_may_call=False, placement=CallPlacement(2.0, 3, 1.0, [1], seed=1))[0]
        self.assertEqual([c["requested"] for c in tr.calls], [1, 1, 1])

    def test_hide_commands_keeps_them_in_the_transcript_only(self):
        """Warm-up data: the student samples its continuation without seeing the command,
        but the transcript it learns from holds it; the teacher never sees it."""
        def after_prompt(text):
            return lambda seen: text[len(seen) - len(PROMPT)] if 0 <= len(seen) - len(PROMPT) < len(text) else EOS
        student = ScriptedModel(after_prompt(list(b"abcd")))
        teacher = ScriptedModel(lambda seen: ord("T"))
        tr = rollout(student, teacher, [PROMPT], max_new_tokens=20, relay=True, student_may_call=False,
                     forced_calls=[[(1, 2)]], hide_commands=True)[0]
        # the student's script indexes its own view: "a", the teacher's "TT", then index 3 = "d"
        self.assertEqual(tr.source, ["S", "C", "C", "C", "T", "T", "S", "S"])
        self.assertEqual(tr.text, "aTTd")
        for model in (student, teacher):
            view = [t for t in model.views[0] if t is not None]
            self.assertNotIn(CALL, view[len(PROMPT):])
        # without hiding, the command shifts the student's view (script positions move by 3)
        student = ScriptedModel(after_prompt(list(b"abcdefgh")))
        tr = rollout(student, teacher, [PROMPT], max_new_tokens=20, relay=True, student_may_call=False,
                     forced_calls=[[(1, 2)]])[0]
        self.assertEqual(tr.text, "aTTgh")

    def test_warmup_batches_mix_reference_answers(self):
        examples = [([BOS, 1, 2, 3], [0.0, 1.0, 1.0, 1.0])] * 10
        it = warmup.example_batches(examples, 8, seed=0, reference_share=0.25,
                                    reference_sampler=task.train_sampler(0, set()))
        tokens, mask = next(it)
        self.assertEqual(tokens.shape[0], 8)
        transcripts = sum(1 for row in tokens.tolist() if row[:4] == [BOS, 1, 2, 3])
        self.assertEqual(transcripts, 6)
        self.assertGreater(float(mask[6:].sum()), 0)   # the reference answers carry loss too
        tokens, _ = next(warmup.example_batches(examples, 8, seed=0))
        self.assertEqual(sum(1 for row in tokens.tolist() if row[:4] == [BOS, 1, 2, 3]), 8)

    def test_reference_placer_calls_only_where_the_student_is_unsure(self):
        cfg = {"placement_scale": 5.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0, "digit_decay": 1.0,
               "reference_placement_scale": 5.0, "reference_teacher_loss": False, "reference_placement": "uncertain",
               "reference_threshold": 0.0, "reference_max_calls": 0}
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
               "reference_threshold": 0.5, "reference_max_calls": 2}
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
        self.assertEqual(warmup.number_length(list(b"=+19710\n"), 1), 6)
        self.assertEqual(warmup.number_length(list(b"x+15"), 1), 0)   # a sign not after '=' is an operator
        self.assertEqual(warmup.number_length(list(b"=-\n"), 1), 0)   # a sign with no digits is no number

    def test_reference_placer_number_tail_error(self):
        cfg = {"placement_scale": 0.0, "max_calls": 3, "short_share": 1.0, "reference_calls": 1.0, "digit_decay": 1.0,
               "reference_placement_scale": 0.0, "reference_teacher_loss": True,
               "reference_placement": "number_tail_error", "reference_threshold": 0.0, "reference_max_calls": 2}
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

    def test_draw_n_digit_decay(self):
        import random as _random
        rng, old = _random.Random(3), _random.Random(3)
        for _ in range(50):   # decay 1.0 is the paper's uniform draw, on the same random stream as before
            self.assertEqual(draw_n(rng, 0.5), old.randint(1, 9) * (1 if old.random() < 0.5 else 10))
        rng = _random.Random(0)
        ds = [draw_n(rng, 1.0, 0.5) for _ in range(4000)]
        self.assertTrue(all(1 <= d <= 9 for d in ds))
        self.assertAlmostEqual(ds.count(1) / len(ds), 0.5 / (1 - 0.5 ** 9), delta=0.03)
        self.assertGreater(ds.count(1), ds.count(2))
        self.assertGreater(ds.count(2), ds.count(4))

    def test_group_reward(self):
        # (correct, called, rho)
        self.assertEqual(grpo.group_rewards([(True, False, 0), (True, True, 0.2), (False, True, 0.5)]), [1.5, 0.8, 0.0])
        self.assertEqual(grpo.group_rewards([(True, True, 0.25), (False, False, 0), (False, True, 0.1)]), [0.75, -1.0, 0.0])
        self.assertEqual(grpo.group_rewards([(False, True, 0.3), (False, False, 0)]), [0.3, 0.0])


if __name__ == "__main__":
    unittest.main()
