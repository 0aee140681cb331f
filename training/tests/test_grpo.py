import itertools
import random
import unittest

import torch

from relay_train import grpo, task
from relay_train.model import Llama, ModelConfig
from relay_train.tokenizer import VOCAB_SIZE


def repeating_sampler(seed: int):
    """Train-like questions where every question comes back again and again."""
    rng = random.Random(seed)
    pool = [task.sample_question(rng, 2) for _ in range(30)]
    while True:
        yield rng.choice(pool)


class FreshPromptsTest(unittest.TestCase):
    def test_never_yields_a_question_twice_even_when_the_sampler_repeats(self):
        stream = grpo.fresh_prompts(repeating_sampler(1), lambda qs: [True] * len(qs), batch=4)
        got = [q.text for q in itertools.islice(stream, 28)]
        self.assertEqual(len(got), len(set(got)))

    def test_yields_only_what_the_filter_keeps_and_counts_it(self):
        stats = {}
        keep = lambda qs: [q.operands[0] % 2 == 0 for q in qs]
        stream = grpo.fresh_prompts(task.train_sampler(5, set()), keep, batch=8, stats=stats)
        got = list(itertools.islice(stream, 20))
        self.assertTrue(all(q.operands[0] % 2 == 0 for q in got))
        self.assertGreater(stats["seen"], stats["kept"])
        self.assertGreaterEqual(stats["kept"], 20)

    def test_gives_up_when_the_filter_rejects_everything(self):
        stream = grpo.fresh_prompts(task.train_sampler(5, set()), lambda qs: [False] * len(qs), batch=8,
                                    give_up_after=64)
        with self.assertRaises(RuntimeError):
            next(stream)


class TemperatureLogprobsTest(unittest.TestCase):
    def test_logprobs_are_those_of_the_rollout_distribution_softmax_logits_over_t(self):
        torch.manual_seed(0)
        model = Llama(ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 32)).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(20)   # a peaked model, where T matters
        tokens = torch.randint(0, 256, (2, 9))
        logits = model(tokens[:, :-1])
        for t in (0.7, 1.0):
            want = torch.log_softmax(logits / t, -1).gather(-1, tokens[:, 1:, None])[..., 0]
            torch.testing.assert_close(grpo.token_logprobs(model, tokens, t), want)
        self.assertFalse(torch.allclose(grpo.token_logprobs(model, tokens, 0.7), grpo.token_logprobs(model, tokens, 1.0)))


class AdvantageTest(unittest.TestCase):
    ONE_CALLER = [(True, False, 0.0)] * 7 + [(True, True, 0.04)]

    def test_one_correct_caller_among_seven_no_call_successes_pays_only_its_teacher_share(self):
        adv = grpo.advantages(grpo.cost_rewards(self.ONE_CALLER, 1.0), std_normalize=False)
        self.assertAlmostEqual(adv[7], -0.04 * 7 / 8, places=6)
        for a in adv[:7]:
            self.assertAlmostEqual(a, 0.04 / 8, places=6)

    def test_the_papers_reward_with_std_normalisation_punishes_that_caller_hard(self):
        # why it is not the default: -2.47 for a correct answer that used 4% teacher tokens
        adv = grpo.advantages(grpo.group_rewards(self.ONE_CALLER), std_normalize=True)
        self.assertLess(adv[7], -2.4)

    def test_a_wrong_answer_is_worth_less_than_any_correct_call(self):
        adv = grpo.advantages(grpo.cost_rewards([(True, True, 0.3), (False, False, 0.0)], 1.0), std_normalize=False)
        self.assertGreater(adv[0], 0)
        self.assertLess(adv[1], 0)

    def test_equal_rewards_give_zero_advantage(self):
        for norm in (True, False):
            self.assertEqual(grpo.advantages([0.0] * 8, norm), [0.0] * 8)
            self.assertEqual(grpo.advantages([1.0] * 8, norm), [0.0] * 8)

    def test_plain_correctness_is_call_cost_zero(self):
        self.assertEqual(grpo.cost_rewards([(True, True, 0.5), (True, False, 0.0), (False, True, 0.2)], 0.0),
                         [1.0, 1.0, 0.0])

    def test_cost_all_charges_a_wrong_answer_for_its_teacher_tokens(self):
        rewards = grpo.cost_rewards([(True, True, 0.25), (False, True, 0.5), (False, False, 0.0)], 2.0, charge_wrong=True)
        self.assertEqual(rewards, [0.5, -1.0, 0.0])
        # two wrong answers, one of which called: only the call tells them apart
        adv = grpo.advantages(grpo.rewards_for([(False, True, 0.5), (False, False, 0.0)],
                                               {"reward": "cost_all", "call_cost": 1.0}), std_normalize=False)
        self.assertEqual(adv, [-0.25, 0.25])

    def test_reward_kind_comes_from_the_config(self):
        cfg = {"reward": "difficulty", "call_cost": 1.0}
        self.assertEqual(grpo.rewards_for(self.ONE_CALLER, cfg), [1.5] * 7 + [0.96])
        self.assertEqual(grpo.rewards_for(self.ONE_CALLER, cfg | {"reward": "cost"}), [1.0] * 7 + [0.96])


class DevSelectionTest(unittest.TestCase):
    STEP0 = {"step": 0, "accuracy": 0.8933, "rho": 0.0127}
    FEWER_CALLS = {"step": 4, "accuracy": 0.8900, "rho": 0.0080}
    MORE_CALLS = {"step": 8, "accuracy": 0.9000, "rho": 0.0300}

    def test_accuracy_keeps_the_more_accurate_step_however_much_it_calls(self):
        cfg = {"select": "accuracy", "call_cost": 10.0}
        self.assertFalse(grpo._better(self.FEWER_CALLS, self.STEP0, cfg))
        self.assertTrue(grpo._better(self.MORE_CALLS, self.STEP0, cfg))

    def test_reward_trades_accuracy_for_teacher_share_at_the_call_cost(self):
        # 0.8900 - 10 * 0.008 = 0.810 beats 0.8933 - 10 * 0.0127 = 0.766 and 0.9 - 10 * 0.03 = 0.6
        cfg = {"select": "reward", "call_cost": 10.0}
        self.assertTrue(grpo._better(self.FEWER_CALLS, self.STEP0, cfg))
        self.assertFalse(grpo._better(self.MORE_CALLS, self.STEP0, cfg))
        # at call_cost 0 the reward is accuracy alone
        self.assertTrue(grpo._better(self.MORE_CALLS, self.STEP0, cfg | {"call_cost": 0.0}))


if __name__ == "__main__":
    unittest.main()
