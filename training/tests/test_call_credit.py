"""Counterfactual call credit: replaying a rollout with one call blocked, and the token advantages
that follow from it (scripted models: test doubles)."""
import unittest

import torch

from relay_train import call_credit, grpo
from relay_train.rollout import rollout
from relay_train.model import Llama, ModelConfig
from relay_train.relay_steps import Transcript
from relay_train.tokenizer import BOS, CALL, END_CALL, EOS, VOCAB_SIZE, encode

PROMPT = [BOS] + encode("Q\n")
A, B, C, X, T, ONE, TWO = (encode(ch)[0] for ch in "abcxT12")


class PreferenceModel:
    """Test double: reads its own view (prompt + response as this model sees it) and prefers the
    tokens `prefs(response so far)` lists, first most (logit 0, then -1, -2, ...), so a banned
    first choice falls back to the second. Unlisted tokens are out of reach."""

    def __init__(self, prefs):
        self.prefs, self.views = prefs, {}

    def new_cache(self, b, length):
        self.views = {i: [None] * length for i in range(b)}

    def step(self, tokens, pos, cache):
        logits = torch.full((len(tokens), VOCAB_SIZE), -1e9)
        for i, (t, p) in enumerate(zip(tokens.tolist(), pos.tolist())):
            self.views[i][p] = t
            response = tuple(self.views[i][len(PROMPT):p + 1])
            for rank, tok in enumerate(self.prefs(response)):
                logits[i, tok] = -float(rank)
        return logits


def scripted_student(script: dict):
    """Preferences by the exact response the student has seen; EOS where the script says nothing."""
    return PreferenceModel(lambda response: script.get(response, [EOS]))


TEACHER = PreferenceModel(lambda response: [T])
ONE_CALL = (A, CALL, TWO, END_CALL, T, T)   # "a" <call>2</call> TT


def one_call_student():
    """Calls after "a" (else writes "b", "c"), and once it has written "abc" it calls for 1 token."""
    return scripted_student({(A,): [CALL, B], (A, CALL): [TWO], (A, CALL, TWO): [END_CALL], (A, B): [C],
                             (A, B, C): [CALL], (A, B, C, CALL): [ONE], (A, B, C, CALL, ONE): [END_CALL],
                             (): [A]})


def run(student, **kw):
    return rollout(student, TEACHER, [PROMPT], max_new_tokens=40, relay=True, **kw)[0]


class ReplayTest(unittest.TestCase):
    def test_the_rollout_itself_calls_once(self):
        tr = run(one_call_student())
        self.assertEqual(tuple(tr.response), ONE_CALL + (EOS,))
        self.assertEqual(tr.source, ["S", "C", "C", "C", "T", "T", "S"])

    def test_blocked_call_spans_its_command_and_bans_calls_for_the_span_it_handed_over(self):
        tr = run(one_call_student())
        [b] = call_credit.calls_to_block([tr], [True])
        self.assertEqual((b.start, b.end), (1, 4))          # <call> 2 </call>, not the teacher's TT
        self.assertEqual(b.ban_until, 1 + 2)                # "a" + the 2 tokens the teacher wrote
        [replay] = call_credit.replay_blocked(one_call_student(), TEACHER, [tr], [b], max_new_tokens=40, max_turns=5)
        # without the call the student writes "bc" itself; past the banned span it may call again
        self.assertEqual(replay.text, "abcT")
        self.assertEqual(replay.source, ["S", "S", "S", "C", "C", "C", "T", "S"])
        self.assertEqual(replay.calls, [{"offset": 6, "requested": 1, "granted": 1, "written": 1}])

    def test_replay_keeps_the_earlier_calls_through_the_protocol(self):
        student = scripted_student({(): [A], (A,): [CALL], (A, CALL): [ONE], (A, CALL, ONE): [END_CALL],
                                    (A, CALL, ONE, END_CALL, T): [B], (A, CALL, ONE, END_CALL, T, B): [CALL, X],
                                    (A, CALL, ONE, END_CALL, T, B, CALL): [ONE],
                                    (A, CALL, ONE, END_CALL, T, B, CALL, ONE): [END_CALL]})
        tr = run(student)
        self.assertEqual(len(tr.calls), 2)
        blocked = call_credit.calls_to_block([tr], [True])
        self.assertEqual([(b.start, b.end, b.ban_until) for b in blocked], [(1, 4, 2), (6, 9, 6)])
        replay = call_credit.replay_blocked(student, TEACHER, [tr], blocked[1:], max_new_tokens=40, max_turns=5)[0]
        self.assertEqual(replay.text, "aTbx")
        self.assertEqual(replay.calls, tr.calls[:1])         # the first call is granted again, not a prompt
        self.assertEqual(replay.source[:6], tr.source[:6])

    def test_wrong_rollouts_are_not_replayed(self):
        tr = run(one_call_student())
        self.assertEqual(call_credit.calls_to_block([tr, tr], [False, True])[0].rollout, 1)
        self.assertEqual(call_credit.calls_to_block([tr], [False]), [])


class CommandSpanTest(unittest.TestCase):
    def test_span_is_the_command_that_called_from_its_call_token_not_an_earlier_malformed_one(self):
        # "a" <call>x</call> (malformed: stripped, no call) <call>12</call> T...
        response = [A, CALL, X, END_CALL, CALL, ONE, TWO, END_CALL, T]
        tr = Transcript(PROMPT, response, ["S"] + ["C"] * 7 + ["T"], [{"offset": 8, "requested": 12, "granted": 12,
                                                                       "written": 1}])
        self.assertEqual(call_credit.command_span(tr, tr.calls[0]), (4, 8))


class TokenAdvantageTest(unittest.TestCase):
    TR = Transcript(PROMPT, list(ONE_CALL) + [EOS], ["S", "C", "C", "C", "T", "T", "S"],
                    [{"offset": 4, "requested": 2, "granted": 2, "written": 2}])
    BLOCKED = [call_credit.BlockedCall(0, 0, 1, 4, 3)]

    def test_a_wasted_call_gets_the_penalty_on_its_command_tokens_only(self):
        [adv] = call_credit.token_advantages([self.TR], [0.25], self.BLOCKED, [True], 0.5, 0.0)
        self.assertEqual(adv, [0.25, -0.5, -0.5, -0.5, 0.25, 0.25, 0.25])

    def test_a_needed_call_keeps_the_rollouts_advantage_plus_the_bonus(self):
        [adv] = call_credit.token_advantages([self.TR], [0.25], self.BLOCKED, [False], 0.5, 0.1)
        self.assertEqual(adv, [0.25, 0.35, 0.35, 0.35, 0.25, 0.25, 0.25])

    def test_a_wasted_call_is_penalised_even_where_the_whole_group_was_right(self):
        # all-correct groups have zero advantage: the call's own credit is the only signal there
        adv, counts = call_credit.counterfactual_advantages(
            one_call_student(), TEACHER, [self.TR, self.TR], [True, False], [0.0, 0.0],
            {"max_new_tokens": 40, "max_turns": 5, "call_waste_penalty": 0.5, "call_need_bonus": 0.0},
            lambda i, tr: tr.text.startswith("abc"))
        self.assertEqual(counts, {"wasted": 1, "needed": 0})
        self.assertEqual(adv[0][1:4], [-0.5] * 3)
        self.assertEqual(adv[1], [0.0] * 7)                   # the wrong rollout keeps its own


class PolicyLossTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()
        self.tr = TokenAdvantageTest.TR
        self.cfg = {"temperature": 0.7, "kl_coef": 0.0, "explore": "tokens"}

    def loss(self, adv):
        return float(grpo.policy_loss(self.model, self.model, [self.tr], [adv], self.cfg)[0])

    def test_teacher_tokens_stay_out_of_the_loss_whatever_their_advantage(self):
        base = [0.3] * 7
        self.assertAlmostEqual(self.loss(base), self.loss(base[:4] + [-9.0, 9.0] + base[6:]), places=6)

    def test_each_advantage_weighs_the_log_prob_of_its_own_token(self):
        seq = torch.tensor([self.tr.prompt + self.tr.response])
        logp = grpo.token_logprobs(self.model, seq, 0.7)[0]
        k = 2                                                   # response token 2: the digit of the command
        adv = [0.0] * 7
        adv[k] = 1.0
        student_tokens = 5                                      # 7 response tokens, 2 of them the teacher's
        want = -float(logp[len(self.tr.prompt) + k - 1]) / student_tokens
        self.assertAlmostEqual(self.loss(adv), want, places=5)


if __name__ == "__main__":
    unittest.main()
