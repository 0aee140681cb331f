"""sft.dev_tracker / train_steps(after_step=...): the SFT's dev accuracy by step, measured without
changing what is trained."""
import os
import unittest

import torch

from relay_train import config, sft, task
from relay_train.evaluate import evaluate
from relay_train.model import Llama, ModelConfig
from relay_train.tokenizer import VOCAB_SIZE

TINY = ModelConfig(VOCAB_SIZE, 16, 1, 2, 32, 512)


class QuietProgress:
    """A stand-in for progress.Progress in unit tests: keeps the lines instead of writing a log."""

    def __init__(self):
        self.lines = []

    def __call__(self, step, steps, msg):
        self.lines.append(msg)

    def info(self, msg):
        self.lines.append(msg)


def batches_recording_mode(model, modes: list):
    """Reference-answer batches that record whether the model was in training mode when each was drawn."""
    inner = sft.bucketed_batches(task.train_sampler(7, set()), 4, pool_batches=2)
    while True:
        modes.append(model.training)
        yield next(inner)


def train(steps: int, every: int, accuracy, modes: list | None = None):
    torch.manual_seed(3)
    model = Llama(TINY)
    curve, after_step = sft.dev_tracker(model, steps, every, accuracy, QuietProgress())
    batches = batches_recording_mode(model, modes if modes is not None else [])
    sft.train_steps(model, batches, steps, 1e-2, 1, 0.1, QuietProgress(), log_every=2, after_step=after_step)
    return model, curve


class DevTrackerTest(unittest.TestCase):
    def test_off_when_every_is_zero(self):
        curve, after_step = sft.dev_tracker(Llama(TINY), 10, 0, lambda m: 1.0, QuietProgress())
        self.assertEqual(curve, [])
        self.assertIsNone(after_step)

    def test_measures_every_k_steps_and_at_the_last_in_eval_mode(self):
        seen_modes = []

        def accuracy(model):
            seen_modes.append(model.training)
            return 0.25 * len(seen_modes)

        modes = []
        _, curve = train(5, 2, accuracy, modes)
        self.assertEqual(curve, [(2, 0.25), (4, 0.5), (5, 0.75)])
        self.assertEqual(seen_modes, [False, False, False])
        # every batch after a measurement is drawn with the model back in training mode
        self.assertEqual(modes, [True] * 5)

    def test_trains_the_same_weights_with_and_without_measuring(self):
        dev = task.make_splits(11, 2, 1)["dev"]
        measured, curve = train(4, 2, lambda m: evaluate(m, None, dev, relay=False, max_new_tokens=8)["accuracy"])
        plain, _ = train(4, 0, lambda m: 0.0)
        self.assertEqual([step for step, _ in curve], [2, 4])
        for (name, a), b in zip(measured.state_dict().items(), plain.state_dict().values()):
            self.assertTrue(torch.equal(a, b), name)

    def test_the_shipped_configs_measure_dev_and_a_negative_period_is_refused(self):
        self.assertEqual(config.load(config_path("student")).sft["dev_every"], 1000)
        self.assertEqual(config.load(config_path("teacher")).sft["dev_every"], 1000)
        with self.assertRaisesRegex(config.ConfigError, "sft.dev_every"):
            config._check_section("x.json", "sft", {**config.load(config_path("student")).sft, "dev_every": -1},
                                  config.SFT_FIELDS)


def config_path(role: str) -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", f"{role}.json")


if __name__ == "__main__":
    unittest.main()
