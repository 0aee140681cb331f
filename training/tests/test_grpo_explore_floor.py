"""GRPO's exploration floor: decisions the student is sure of are tried the other way where it is
unsure of its next token, and the loss weighs them by importance."""
import json
import os
import tempfile
import unittest

import torch

from relay_train import config, grpo
from relay_train.model import Llama, ModelConfig
from relay_train.rollout import ExploreFloor, call_odds, decide
from relay_train.tokenizer import CALL, VOCAB_SIZE, encode

DIGIT_5, DIGIT_7 = encode("5")[0], encode("7")[0]
# with `<call>` left out, P(DIGIT_5) = e^2 / (e^2 + e^1 + 257 e^-5) = 0.624 in these rows
UNSURE_TOP = 0.624
STUDENT_CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "student.json")


def row(call_logit: float) -> torch.Tensor:
    r = torch.full((VOCAB_SIZE,), -5.0)
    r[DIGIT_7], r[DIGIT_5], r[CALL] = 1.0, 2.0, call_logit
    return r


class CallOddsTest(unittest.TestCase):
    def test_the_floor_clamps_both_ways_only_where_the_next_token_is_unsure(self):
        logits = torch.stack([row(-10.0), row(12.0)])
        policy, drawn, top = call_odds(logits, 1.0, ExploreFloor(0.1, 0.7))
        self.assertLess(float(policy[0]), 1e-4)
        self.assertGreater(float(policy[1]), 1 - 1e-4)
        self.assertAlmostEqual(float(drawn[0]), 0.1, places=6)
        self.assertAlmostEqual(float(drawn[1]), 0.9, places=6)
        self.assertEqual(top.tolist(), [DIGIT_5, DIGIT_5])
        # below the student's confidence (0.624): the policy's odds
        _, sure, _ = call_odds(logits, 1.0, ExploreFloor(0.1, UNSURE_TOP - 0.05))
        self.assertTrue(torch.equal(sure, policy))

    def test_a_banned_call_stays_banned_and_no_floor_is_the_policy(self):
        logits = torch.stack([row(float("-inf")), row(1.5)])
        policy, drawn, _ = call_odds(logits, 1.0, ExploreFloor(0.2, 1.0))
        self.assertEqual(float(drawn[0]), 0.0)
        self.assertAlmostEqual(float(drawn[1]), float(policy[1]), places=6)   # already inside [0.2, 0.8]
        for floor in (None, ExploreFloor(0.0, 1.0)):
            p, d, _ = call_odds(logits, 1.0, floor)
            self.assertTrue(torch.equal(p, d))

    def test_only_the_policys_odds_carry_a_gradient(self):
        logits = row(-10.0)[None].requires_grad_()
        policy, drawn, _ = call_odds(logits, 1.0, ExploreFloor(0.1, 0.7))
        self.assertFalse(drawn.requires_grad)
        policy.sum().backward()
        self.assertGreater(float(logits.grad[0, CALL]), 0.0)


class DecideWithFloorTest(unittest.TestCase):
    def test_a_call_the_student_never_makes_is_tried_at_the_floor_where_it_is_unsure(self):
        logits = row(-10.0).repeat(4000, 1)
        out = decide(logits, torch.zeros(4000, dtype=torch.bool), 1.0, torch.Generator().manual_seed(0),
                     ExploreFloor(0.1, 0.7))
        self.assertEqual(set(out.tolist()), {DIGIT_5, CALL})
        self.assertAlmostEqual(float((out == CALL).float().mean()), 0.1, delta=0.02)

    def test_where_it_is_sure_and_inside_a_command_nothing_changes(self):
        logits = row(-10.0).repeat(500, 1)
        gen = torch.Generator().manual_seed(0)
        sure = decide(logits, torch.zeros(500, dtype=torch.bool), 1.0, gen, ExploreFloor(0.1, 0.5))
        self.assertTrue(bool((sure == DIGIT_5).all()))
        in_cmd = decide(logits, torch.ones(500, dtype=torch.bool), 1.0, gen, ExploreFloor(0.4, 1.0))
        self.assertTrue(bool((in_cmd == DIGIT_5).all()))

    def test_no_floor_draws_exactly_what_the_policy_draws(self):
        logits = torch.randn(300, VOCAB_SIZE, generator=torch.Generator().manual_seed(3))
        free = torch.zeros(300, dtype=torch.bool)
        a = decide(logits, free, 1.0, torch.Generator().manual_seed(5))
        b = decide(logits, free, 1.0, torch.Generator().manual_seed(5), ExploreFloor(0.0, 1.0))
        self.assertTrue(torch.equal(a, b))


class ExploreWeightsTest(unittest.TestCase):
    CFG = {"temperature": 1.0, "explore": "decisions", "explore_floor": 0.45, "explore_below": 1.0,
           "explore_weight": "importance"}

    def setUp(self):
        torch.manual_seed(0)
        self.model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()
        self.tokens = torch.tensor([encode("12") + [CALL] + encode("3")])

    def test_each_decision_is_weighed_by_policy_over_drawn_odds(self):
        w = grpo.explore_weights(self.model(self.tokens[:, :-1]), self.tokens, self.CFG)
        with torch.no_grad():
            logits = self.model(self.tokens[:, :-1])[0]
            others = logits.index_fill(-1, torch.tensor([CALL]), float("-inf")).max(-1).values
            policy = torch.sigmoid(logits[:, CALL] - others).tolist()
        drawn = [min(max(p, 0.45), 0.55) for p in policy]
        self.assertTrue(all(p != d for p, d in zip(policy, drawn)), policy)   # every decision floored here
        self.assertAlmostEqual(float(w[0, 1]), policy[1] / drawn[1], places=5)                 # the call
        for i in (0, 2):
            self.assertAlmostEqual(float(w[0, i]), (1 - policy[i]) / (1 - drawn[i]), places=5)  # no call

    def test_without_a_floor_or_with_weight_none_every_weight_is_one(self):
        for cfg in (self.CFG | {"explore_floor": 0.0}, self.CFG | {"explore_weight": "none"},
                    self.CFG | {"explore": "tokens"}):
            self.assertTrue(torch.equal(grpo.explore_weights(self.model(self.tokens[:, :-1]), self.tokens, cfg), torch.ones(1, 3)))


class GrpoStepTest(unittest.TestCase):
    def test_a_step_draws_its_rollouts_with_the_configured_floor_and_stays_finite(self):
        from unittest import mock

        from relay_train import task
        torch.manual_seed(0)
        student = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 96)).eval()
        teacher = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 96)).eval()
        ref = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 96)).eval()
        ref.load_state_dict(student.state_dict())
        cfg = config.load(STUDENT_CONFIG).grpo | {"group_size": 2, "max_new_tokens": 12, "explore_floor": 0.3,
                                                   "explore_below": 0.9, "trained": "call_row"}
        opt = torch.optim.AdamW([student.out.weight], lr=cfg["lr"])
        qs = task.make_splits(1, 2, 1)["dev"][:2]
        seen = []
        real = grpo.rollout

        def recording_rollout(*args, **kwargs):
            seen.append(kwargs)
            return real(*args, **kwargs)
        with mock.patch.object(grpo, "rollout", recording_rollout):
            grpo._grpo_step(student, ref, teacher, opt, qs, cfg, seed=1, step=1)
        self.assertEqual(seen[0]["explore_floor"], ExploreFloor(0.3, 0.9))
        self.assertTrue(seen[0]["decisions_only"])
        self.assertTrue(bool(torch.isfinite(student.out.weight).all()))


class ExploreFloorConfigTest(unittest.TestCase):
    def test_a_floor_needs_decisions_exploration(self):
        with open(STUDENT_CONFIG) as f:
            raw = json.load(f)
        raw["grpo"] |= {"explore": "tokens", "explore_floor": 0.1}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(raw, f)
        try:
            with self.assertRaisesRegex(config.ConfigError, "grpo.explore_floor' needs explore"):
                config.load(f.name)
            raw["grpo"]["explore"] = "decisions"
            with open(f.name, "w") as g:
                json.dump(raw, g)
            self.assertEqual(config.load(f.name).grpo["explore_floor"], 0.1)
        finally:
            os.unlink(f.name)

    def test_the_digit_hinge_and_body_lr_need_every_weight_trained(self):
        with open(STUDENT_CONFIG) as f:
            raw = json.load(f)
        cases = [({"digit_margin": 3.0}, "grpo.digit_margin' needs trained \"all\""),
                 ({"body_lr": 3e-5}, "grpo.body_lr' needs trained \"all\""),
                 ({"digit_margin": 3.0, "trained": "all", "explore": "tokens"}, "grpo.digit_margin' needs explore")]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "student.json")
            for override, error in cases:
                with open(path, "w") as g:
                    json.dump(raw | {"grpo": raw["grpo"] | override}, g)
                with self.assertRaisesRegex(config.ConfigError, error):
                    config.load(path)
            with open(path, "w") as g:
                json.dump(raw | {"grpo": raw["grpo"] | {"digit_margin": 3.0, "body_lr": 3e-5, "trained": "all"}}, g)
            self.assertEqual(config.load(path).grpo["digit_margin"], 3.0)


if __name__ == "__main__":
    unittest.main()
