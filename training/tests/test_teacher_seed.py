"""`pipeline --teacher-from DIR`: the teacher stage taken from a published pair's llm.gguf."""
import json
import os
import tempfile
import unittest

import torch

from relay_train import config, pipeline, task, teacher_seed
from relay_train.gguf import write_gguf
from relay_train.model import Llama

TEACHER = os.path.join(pipeline.HERE, "configs", "teacher.json")


def _published_pair(tmp: str, cfg, metrics: dict | None) -> Llama:
    """A pair directory holding a randomly initialised teacher of `cfg`'s shape (and `metrics` as metrics.json)."""
    torch.manual_seed(7)
    teacher = Llama(cfg).eval()
    write_gguf(os.path.join(tmp, "llm.gguf"), teacher, "test-teacher")
    if metrics is not None:
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f)
    return teacher


class TeacherSeedTest(unittest.TestCase):
    def setUp(self):
        self.tcfg = config.load(TEACHER, smoke=True)
        self.tmp = tempfile.TemporaryDirectory()
        self.pair, self.out = os.path.join(self.tmp.name, "pair"), os.path.join(self.tmp.name, "out")
        os.makedirs(self.pair)
        os.makedirs(self.out)

    def tearDown(self):
        task.use_lookup(None)       # pipeline.main sets the configs' table for the process
        self.tmp.cleanup()

    def test_the_teacher_stage_loads_the_published_weights_instead_of_training(self):
        metrics = {"curves": {"teacher_sft": [[50, 3.9], [100, 1.8]]}, "sft_dev": {"teacher": [[1000, 0.5]]},
                   "timings_s": {"teacher-sft-resumed": 2737.0, "teacher-sft": 0.0}}
        published = _published_pair(self.pair, self.tcfg.model, metrics)
        teacher_seed.seed_teacher(self.pair, self.tcfg, self.out)
        stages = pipeline.Stages(self.out, resume=False, teacher_seeded=True)
        model, curve, dev = pipeline.train_sft(stages, self.tcfg, set(), [])
        for name, tensor in published.state_dict().items():
            self.assertTrue(torch.equal(model.state_dict()[name], tensor), name)
        self.assertEqual((curve, dev), ([(50, 3.9), (100, 1.8)], [(1000, 0.5)]))
        self.assertEqual(stages.timings["teacher-sft-resumed"], 2737.0, "the card shows the time of the run that made it")

    def test_without_metrics_the_curves_are_empty_and_the_weights_still_exact(self):
        published = _published_pair(self.pair, self.tcfg.model, None)
        saved = torch.load(teacher_seed.seed_teacher(self.pair, self.tcfg, self.out))
        self.assertEqual((saved["curve"], saved["dev"], saved["seconds"]), ([], [], 0.0))
        self.assertTrue(all(torch.equal(saved["model"][k], v) for k, v in published.state_dict().items()))

    def test_a_teacher_of_another_shape_is_refused_naming_what_differs(self):
        other = config.with_model(config.load(os.path.join(pipeline.HERE, "configs", "student.json")), {})
        _published_pair(self.pair, other.model, None)
        with self.assertRaisesRegex(config.ConfigError, r"not the teacher config's shape: dim 64 \(config 128\)"):
            teacher_seed.seed_teacher(self.pair, self.tcfg, self.out)
        self.assertFalse(os.path.exists(os.path.join(self.out, teacher_seed.CHECKPOINT)))

    def test_the_pipeline_exits_2_on_a_directory_without_a_teacher(self):
        code = pipeline.main(["--smoke", "--out", self.out, "--teacher-from", self.pair])
        self.assertEqual(code, 2)
        self.assertEqual(os.listdir(self.out), [], "nothing trained, nothing written")


if __name__ == "__main__":
    unittest.main()
