"""Commands where the student writes them when it relays (served_calls), read as context by the
self-placed labels, and the rollout's call_bias that exposes the ones a raised bias adds."""
import json
import os
import unittest

import torch

from relay_train import config, served_calls, warmup
from relay_train.rollout import command_tokens, rollout
from relay_train.tokenizer import BOS, CALL, END_CALL, EOS, VOCAB_SIZE, encode
from tests.test_self_labels import SELF_PLACED_WARMUP, ReferenceReaderFake, digits_starting_numbers, reference
from tests.test_warmup_rounds import CONFIGS


def relayed(ref, start, pieces):
    """A transcript's (response, source) from pieces: ("S", tokens) the student's, ("C", n) its
    command `<call>n</call>`, ("T", tokens) the teacher's turn."""
    response, source = [], []
    for who, what in pieces:
        tokens = command_tokens(what) if who == "C" else list(what)
        response += tokens
        source += [who] * len(tokens)
    return response, source


class ServedCommandsTest(unittest.TestCase):
    def test_commands_in_reference_coordinates_up_to_where_the_text_leaves_the_reference(self):
        q, ref, start = reference()
        t1, t2 = digits_starting_numbers(ref, start)[:2]
        response, source = relayed(ref, start, [("S", ref[start:t1]), ("C", 2), ("T", ref[t1:t1 + 2]),
                                                ("S", ref[t1 + 2:t2]), ("C", 1), ("T", ref[t2:t2 + 1]), ("S", ref[t2 + 1:])])
        self.assertEqual(served_calls.served_commands(ref, start, response, source), [(t1, 2), (t2, 1)])
        # the student writes a wrong digit before its second command: that command is past the
        # reference and is not kept
        wrong = (ref[t1 + 2] + 1) % 256
        response, source = relayed(ref, start, [("S", ref[start:t1]), ("C", 2), ("T", ref[t1:t1 + 2]),
                                                ("S", [wrong] + ref[t1 + 3:t2]), ("C", 1), ("T", ref[t2:t2 + 1])])
        self.assertEqual(served_calls.served_commands(ref, start, response, source), [(t1, 2)])

    def test_a_command_the_teacher_answers_off_the_reference_or_not_at_all_ends_the_list(self):
        q, ref, start = reference()
        t1 = digits_starting_numbers(ref, start)[0]
        off = [(ref[t1] + 1) % 256, ref[t1 + 1]]
        response, source = relayed(ref, start, [("S", ref[start:t1]), ("C", 2), ("T", off), ("S", ref[t1 + 2:])])
        self.assertEqual(served_calls.served_commands(ref, start, response, source), [])
        response, source = relayed(ref, start, [("S", ref[start:t1]), ("C", 2), ("S", ref[t1:])])   # no call made
        self.assertEqual(served_calls.served_commands(ref, start, response, source), [])

    def test_the_mixed_sampler_takes_the_pool_once_per_pass_at_its_share(self):
        fresh = iter(range(1000, 10**6))
        pool = list(range(10))
        only_pool = served_calls.mixed_sampler(pool, fresh, 1.0, seed=0)
        self.assertEqual(sorted(next(only_pool) for _ in range(10)), pool)
        self.assertEqual(sorted(next(only_pool) for _ in range(10)), pool)
        none = served_calls.mixed_sampler(pool, fresh, 0.0, seed=0)
        self.assertTrue(all(next(none) >= 1000 for _ in range(50)))
        half = served_calls.mixed_sampler(pool, fresh, 0.5, seed=0)
        drawn = [next(half) for _ in range(400)]
        self.assertTrue(120 < sum(x < 10 for x in drawn) < 280)


class ServedPlacementTest(unittest.TestCase):
    def test_a_pool_question_is_labelled_with_its_served_commands_read_not_taught(self):
        q, toks, start = reference()
        t = digits_starting_numbers(toks, start)[0]
        n = 2
        fake = ReferenceReaderFake(toks, derails=True)     # wrong on every digit once it has read a command
        placer = warmup.ReferencePlacer(fake, dict(SELF_PLACED_WARMUP), seed=0, served={q.text: [(t, n)]})
        [(tokens, mask)] = placer([q])
        cmd = command_tokens(n)
        self.assertEqual(tokens[:t + len(cmd)], toks[:t] + cmd)
        self.assertEqual(mask[t:t + len(cmd)], [0.0] * len(cmd))
        # after reading its own command the student errs: a label follows the served turn
        later = [i for i in range(t + len(cmd) + n, len(tokens)) if tokens[i] == CALL]
        self.assertTrue(later)
        self.assertEqual(mask[later[0]], 1.0)
        # another question is not in the pool: no commands, the student never errs without one
        other, other_toks, _ = reference(seed=1)
        placer = warmup.ReferencePlacer(ReferenceReaderFake(other_toks, derails=True), dict(SELF_PLACED_WARMUP),
                                        seed=0, served={q.text: [(t, n)]})
        self.assertNotIn(CALL, placer([other])[0][0])


class CallBiasedStudent:
    """Test double: after the prompt, writes `text` token by token; its `<call>` logit is
    `call_margin` below the next text token's, everything else far below."""

    def __init__(self, prompt_len, text, call_margin):
        self.prompt_len, self.text, self.margin = prompt_len, text, call_margin

    def new_cache(self, b, length):
        return None

    def step(self, tokens, pos, cache):
        logits = torch.full((len(tokens), VOCAB_SIZE), -1e9)
        for i, p in enumerate(pos.tolist()):
            k = p + 1 - self.prompt_len
            nxt = self.text[k] if 0 <= k < len(self.text) else EOS
            logits[i, nxt] = 0.0
            if nxt != EOS:
                logits[i, CALL] = -self.margin
        return logits


class RolloutCallBiasTest(unittest.TestCase):
    def test_call_bias_raises_the_students_call_token_as_serving_does(self):
        prompt = [BOS] + encode("Q\n")
        student = CallBiasedStudent(len(prompt), encode("12"), call_margin=1.0)
        plain = rollout(student, None, [prompt], max_new_tokens=8, relay=True)[0]
        self.assertNotIn(CALL, plain.response)
        biased = rollout(student, None, [prompt], max_new_tokens=8, relay=True, call_bias=1.5)[0]
        self.assertEqual(biased.response[0], CALL)


class ServedConfigTest(unittest.TestCase):
    def test_a_served_pool_only_with_self_placed_labels_and_rounds_copy_it(self):
        with open(os.path.join(CONFIGS, "student.json")) as f:
            raw = json.load(f)
        warm = dict(raw["warmup"], served_pool=64, served_share=0.5)
        with self.assertRaises(config.ConfigError) as cm:
            config._check_section("x", "warmup", warm, config.WARMUP_FIELDS)
        self.assertIn("warmup.served_pool", str(cm.exception))
        warm["reference_placement"] = "number_tail_self"
        self.assertEqual(config._check_section("x", "warmup", warm, config.WARMUP_FIELDS)["served_pool"], 64)
        rounds = dict(raw["self_rounds"], served_pool=32, served_share=0.25)
        later = warmup.self_round_config(raw["warmup"], rounds)
        self.assertEqual((later["served_pool"], later["served_share"]), (32, 0.25))


if __name__ == "__main__":
    unittest.main()
