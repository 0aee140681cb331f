"""GRPO with every weight trained: the hinge that keeps each written digit ahead of the others."""
import unittest

import torch

from relay_train import grpo, grpo_trained
from relay_train.model import Llama, ModelConfig
from relay_train.tokenizer import CALL, VOCAB_SIZE

from tests import test_grpo_decisions as decisions

DIGIT_5, DIGIT_7 = decisions.DIGIT_5, decisions.DIGIT_7


def row(top_logit: float, runner_up: float, call_logit: float = -5.0) -> torch.Tensor:
    """One position's logits: DIGIT_5 written, DIGIT_7 the runner-up, `<call>` apart."""
    r = torch.full((VOCAB_SIZE,), -5.0)
    r[DIGIT_5], r[DIGIT_7], r[CALL] = top_logit, runner_up, call_logit
    return r


def shortfall(student_row, ref_row, margin: float) -> float:
    tokens = torch.tensor([[0, DIGIT_5]])
    return float(grpo_trained.margin_shortfall(student_row[None, None], ref_row[None, None], tokens, margin)[0, 0])


class MarginShortfallTest(unittest.TestCase):
    def test_no_shortfall_while_the_lead_is_kept(self):
        self.assertEqual(shortfall(row(6.0, 1.0), row(6.0, 1.0), 3.0), 0.0)
        # the lead may shrink from the reference's 5 down to the margin, 3, for free
        self.assertEqual(shortfall(row(4.0, 1.0), row(6.0, 1.0), 3.0), 0.0)

    def test_a_lead_below_the_margin_is_the_shortfall(self):
        self.assertAlmostEqual(shortfall(row(2.0, 1.0), row(6.0, 1.0), 3.0), 2.0)
        # a flipped argmax (DIGIT_7 ahead) counts the whole way
        self.assertAlmostEqual(shortfall(row(1.0, 2.0), row(6.0, 1.0), 3.0), 4.0)

    def test_an_unsure_reference_asks_only_for_its_own_lead(self):
        self.assertEqual(shortfall(row(1.5, 1.0), row(1.5, 1.0), 3.0), 0.0)
        self.assertAlmostEqual(shortfall(row(1.2, 1.0), row(1.5, 1.0), 3.0), 0.3, places=5)

    def test_call_is_not_a_rival(self):
        # the call decision is what GRPO trains: a `<call>` logit above the digit costs nothing here
        self.assertEqual(shortfall(row(6.0, 1.0, call_logit=9.0), row(6.0, 1.0), 3.0), 0.0)


class MarginInLossTest(unittest.TestCase):
    TR = decisions.DecisionLossTest.TR      # "5", <call>1</call>, teacher "7", "5"
    CFG = decisions.DecisionLossTest.CFG

    def test_the_hinge_charges_a_student_whose_digits_drift_from_the_reference(self):
        torch.manual_seed(0)
        ref = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()
        with torch.no_grad():
            ref.out.weight[DIGIT_5] += 3.0 * ref.out.weight[DIGIT_5].sign()   # DIGIT_5 well ahead under the reference
        student = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()
        student.load_state_dict(ref.state_dict())
        with torch.no_grad():
            student.out.weight[DIGIT_5] = 0.0                                  # and no longer under the student
        adv = [0.0] * 6
        loss = lambda cfg, s: float(grpo.policy_loss(s, ref, [self.TR], [adv], cfg)[0])  # noqa: E731
        hinged = self.CFG | {"digit_margin": 2.0}
        self.assertEqual(loss(hinged, ref), loss(self.CFG, ref))      # the reference itself keeps every lead
        self.assertGreater(loss(hinged, student), loss(self.CFG, student) + 1e-3)


class SplitStepTest(unittest.TestCase):
    CFG = {"trained": "all", "lr": 1e-2, "body_lr": 1e-4}

    def test_the_call_row_steps_by_lr_and_every_other_weight_by_body_lr(self):
        torch.manual_seed(0)
        model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32))
        before = {k: v.clone() for k, v in model.state_dict().items()}
        opt = grpo_trained.GrpoOptimizer(model, self.CFG)
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        opt.step()
        moved = {k: (v - before[k]).abs() for k, v in model.state_dict().items()}
        # AdamW's first step moves each weight by its lr (a unit gradient, no decay)
        self.assertTrue(torch.allclose(moved["out.weight"][CALL], torch.full((16,), 1e-2), rtol=1e-3))
        self.assertTrue(torch.allclose(moved["out.weight"][DIGIT_5], torch.full((16,), 1e-4), rtol=1e-3))
        for name in ("tok_emb.weight", "blocks.0.wq.weight", "norm.weight"):
            self.assertTrue(torch.allclose(moved[name], torch.full_like(moved[name], 1e-4), rtol=1e-3), name)

    def test_without_body_lr_one_step_for_all(self):
        torch.manual_seed(0)
        model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32))
        before = model.out.weight.detach().clone()
        opt = grpo_trained.GrpoOptimizer(model, self.CFG | {"body_lr": 0.0})
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        opt.step()
        self.assertTrue(torch.allclose((model.out.weight - before).abs(), torch.full_like(before, 1e-2), rtol=1e-3))


if __name__ == "__main__":
    unittest.main()
