"""teacher_spend.spend: the split's teacher tokens by part, from transcripts and replay verdicts."""
import unittest

import torch

from relay_train import call_credit, teacher_spend
from relay_train.relay_steps import Transcript
from relay_train.tokenizer import CALL, VOCAB_SIZE, encode


def transcript(calls: list[int], student_tokens: int) -> Transcript:
    """A response of `student_tokens` student tokens and one teacher span per call, `calls` its lengths."""
    tr = Transcript(prompt=[1])
    tr.response = [0] * (student_tokens + sum(calls))
    tr.source = ["S"] * student_tokens + ["T"] * sum(calls)
    tr.calls = [{"written": n, "offset": 0} for n in calls]
    return tr


class SpendTest(unittest.TestCase):
    def test_tokens_of_wrong_answers_and_of_right_answers_calls_unneeded_alone_bound_the_saving(self):
        trs = [transcript([2, 4], 60), transcript([3], 60), transcript([5, 1], 60), transcript([], 60)]
        correct = [True, True, False, True]
        blocked = [call_credit.BlockedCall(0, 0, 0, 0, 0), call_credit.BlockedCall(0, 1, 0, 0, 0),
                   call_credit.BlockedCall(1, 0, 0, 0, 0)]
        # rollout 0's second call (4 tokens) was not needed; its first and rollout 1's were
        out = teacher_spend.spend(trs, correct, blocked, [False, True, False])
        self.assertEqual(out["teacher_tokens"], 15)
        self.assertEqual(out["in_wrong_answers"], 6)
        self.assertEqual((out["calls_in_right_answers"], out["unneeded_alone"], out["unneeded_alone_tokens"]), (3, 1, 4))
        self.assertAlmostEqual(out["bound_share"], 10 / 15)
        self.assertEqual((out["answers"], out["correct"], out["response_tokens"]), (4, 3, 255))

    def test_no_calls_spend_nothing(self):
        out = teacher_spend.spend([transcript([], 10)], [True], [], [])
        self.assertEqual((out["teacher_tokens"], out["bound_share"]), (0, 0.0))


def scripted(parts: list[tuple[str, str]]) -> Transcript:
    """A transcript from (source, text) parts: 'S' student text, 'T' teacher text, 'C' a command."""
    tr = Transcript(prompt=[1])
    for src, text in parts:
        toks = encode(text)
        tr.response += toks
        tr.source += [src] * len(toks)
    return tr


class WhereWrongTest(unittest.TestCase):
    REF = "f(753)=64\n=64+86\n=150"

    def where(self, parts, correct=False) -> dict:
        return teacher_spend.where_wrong([scripted(parts)], [correct], [self.REF])

    def test_an_error_with_no_call_before_it(self):
        self.assertEqual(self.where([("S", "f(753)=65\n")]), {"no call before": 1})

    def test_the_rest_of_a_number_the_teacher_began(self):
        # the command's characters are not text: the error is the 3rd character after "6"
        self.assertEqual(self.where([("S", "f(753)="), ("C", "<call>1</call>"), ("T", "6"), ("S", "8\n")]),
                         {"0-2 after a call, the teacher's number": 1})

    def test_errors_counted_by_student_tokens_since_the_teacher(self):
        head = [("S", "f(753)="), ("C", "<call>2</call>"), ("T", "64")]
        self.assertEqual(self.where(head + [("S", "\n=65")]), {"3-9 after a call": 1})
        self.assertEqual(self.where(head + [("S", "\n=64+86\n=151")]), {"10+ after a call": 1})
        self.assertEqual(self.where(head + [("S", "\n")] + [("T", "=7")]), {"teacher": 1})

    def test_right_answers_are_not_counted(self):
        self.assertEqual(self.where([("S", "f(753)=65")], correct=True), {})


class MissedCallOddsTest(unittest.TestCase):
    REF = WhereWrongTest.REF

    @staticmethod
    def student_double(tokens: torch.Tensor) -> torch.Tensor:
        """A stand-in student whose call log-odds at each position are minus the context length there, and whose
        top other token is a digit at 0: what it reads shows where it was run up to."""
        logits = torch.full((1, tokens.shape[1], VOCAB_SIZE), -9.0)
        logits[..., encode("0")[0]] = 0.0
        logits[..., CALL] = -torch.arange(1, tokens.shape[1] + 1, dtype=torch.float32)
        return logits

    def test_the_log_odds_at_each_wrong_digit_no_call_preceded(self):
        wrong_at_8 = scripted([("S", "f(753)=65\n")])        # leaves the reference at "5", response index 8
        after_call = scripted([("S", "f(753)="), ("C", "<call>2</call>"), ("T", "64"), ("S", "\n=65")])
        out = teacher_spend.missed_call_odds(self.student_double, [wrong_at_8, after_call, wrong_at_8],
                                             [False, False, True], [self.REF] * 3)
        # only the first counts; its context is the prompt (1 token) and the 8 tokens before the wrong digit
        self.assertEqual(out, {"n": 1, "median": -9.0, "within_1": 0, "within_2": 0, "below_4": 1})


if __name__ == "__main__":
    unittest.main()
