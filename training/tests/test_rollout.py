"""The PyTorch relay rollout follows the serving protocol (scripted models: test doubles)."""
import unittest

import torch

from relay_train import grpo, task, warmup
from relay_train.rollout import CallPlacement, draw_n, rollout
from relay_train.tokenizer import BOS, CALL, END_CALL, EOS, VOCAB_SIZE, encode



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
