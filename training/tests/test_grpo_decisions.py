"""GRPO's "decisions" exploration: only the call decision is sampled and trained."""
import copy
import unittest

import torch

from relay_train import grpo, grpo_trained
from relay_train.model import Llama, ModelConfig
from relay_train.relay_steps import Transcript
from relay_train.rollout import decide, decision_logit
from relay_train.tokenizer import CALL, END_CALL, VOCAB_SIZE, encode

DIGIT_5, DIGIT_7 = encode("5")[0], encode("7")[0]


def logits_with(top: int, top_logit: float, call_logit: float) -> torch.Tensor:
    row = torch.full((VOCAB_SIZE,), -5.0)
    row[DIGIT_7] = 1.0              # a runner-up that exploration must never write
    row[top], row[CALL] = top_logit, call_logit
    return row


class DecideTest(unittest.TestCase):
    def test_outside_a_command_it_writes_call_or_the_top_token_at_sigmoid_odds(self):
        logits = logits_with(DIGIT_5, 2.0, 1.0).repeat(4000, 1)      # P(call) = sigmoid(-1 / 0.5) = 0.119
        out = decide(logits, torch.zeros(4000, dtype=torch.bool), 0.5, torch.Generator().manual_seed(0))
        self.assertEqual(set(out.tolist()), {DIGIT_5, CALL})
        self.assertAlmostEqual(float((out == CALL).float().mean()), 0.119, delta=0.02)

    def test_inside_a_command_it_is_greedy(self):
        logits = logits_with(DIGIT_5, 2.0, 1.9).repeat(500, 1)
        out = decide(logits, torch.ones(500, dtype=torch.bool), 1.0, torch.Generator().manual_seed(0))
        self.assertTrue(bool((out == DIGIT_5).all()))

    def test_a_banned_call_is_never_drawn(self):
        logits = logits_with(DIGIT_5, 2.0, float("-inf")).repeat(500, 1)
        out = decide(logits, torch.zeros(500, dtype=torch.bool), 2.0, torch.Generator().manual_seed(0))
        self.assertTrue(bool((out == DIGIT_5).all()))

    def test_the_decision_gradient_moves_call_and_not_the_top_token(self):
        logits = logits_with(DIGIT_5, 2.0, 1.0).requires_grad_()
        d, top_id = decision_logit(logits, 0.5)
        d.backward()
        self.assertEqual(int(top_id), DIGIT_5)
        self.assertAlmostEqual(float(logits.grad[CALL]), 2.0)
        self.assertEqual(float(logits.grad.abs().sum()), 2.0)     # nothing on DIGIT_5 or any other token


class DecisionLossTest(unittest.TestCase):
    # response: "5", <call>1</call>, teacher "7", "5"
    TR = Transcript(prompt=encode("1+1=")[:3], response=[DIGIT_5, CALL, encode("1")[0], END_CALL, DIGIT_7, DIGIT_5],
                    source=["S", "C", "C", "C", "T", "S"])
    CFG = {"temperature": 1.0, "kl_coef": 0.0, "explore": "decisions", "trained": "all", "explore_floor": 0.0,
           "explore_below": 0.5, "explore_weight": "importance", "digit_margin": 0.0, "margin_coef": 1.0}

    def setUp(self):
        torch.manual_seed(0)
        self.model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()

    def loss(self, adv, cfg=None):
        return float(grpo.policy_loss(self.model, self.model, [self.TR], [adv], cfg or self.CFG)[0])

    def test_only_decisions_carry_advantage_not_n_or_the_teacher(self):
        base = [0.3] * 6
        # n's digit, </call> and the teacher's token are not decisions: their advantages change nothing
        self.assertAlmostEqual(self.loss(base), self.loss(base[:2] + [-9.0, 9.0, -9.0] + base[5:]), places=6)
        # the <call> itself is one
        self.assertNotAlmostEqual(self.loss(base), self.loss(base[:1] + [-9.0] + base[2:]), places=3)

    def test_tokens_mode_trains_on_the_command_digits_too(self):
        base = [0.3] * 6
        cfg = self.CFG | {"explore": "tokens"}
        self.assertNotAlmostEqual(self.loss(base, cfg), self.loss(base[:2] + [-9.0] + base[3:], cfg), places=3)


class CallRowTest(unittest.TestCase):
    def test_only_the_call_row_of_the_output_layer_keeps_a_gradient(self):
        torch.manual_seed(0)
        model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32))
        before = copy.deepcopy(model.state_dict())
        model(torch.tensor([[1, 2, 3, 4]])).sum().backward()
        grpo_trained.keep_call_row_grad(model)
        for name, p in model.named_parameters():
            if name != "out.weight":
                self.assertIsNone(p.grad, name)
        rows = model.out.weight.grad.abs().sum(-1)
        self.assertGreater(float(rows[CALL]), 0.0)
        self.assertEqual(float(rows.sum()), float(rows[CALL]))
        self.assertTrue(all(torch.equal(v, before[k]) for k, v in model.state_dict().items()))


if __name__ == "__main__":
    unittest.main()
