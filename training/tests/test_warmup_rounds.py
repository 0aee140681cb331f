"""The warm-up's rounds as the pipeline runs them: the first from the student config's `warmup`,
then `self_rounds.rounds` rounds with self-placed commands, each checkpointed under its own name."""
import json
import os
import tempfile
import unittest

from relay_train import config, stages, warmup

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "configs")


def student_config(**self_rounds) -> config.RoleConfig:
    with open(os.path.join(CONFIGS, "student.json")) as f:
        raw = json.load(f)
    raw["self_rounds"].update(self_rounds)
    f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(raw, f)
    f.close()
    try:
        return config.load(f.name)
    finally:
        os.unlink(f.name)


class WarmupRoundsTest(unittest.TestCase):
    def test_first_round_then_self_placed_rounds(self):
        cfg = student_config(rounds=3, transcripts=96, steps=700, lr=0.0002, reference_threshold=0.6, silent_calls=2)
        plan = warmup.rounds(cfg)
        self.assertEqual([(ckpt, name) for ckpt, name, _ in plan],
                         [("student-warmup.pt", "warmup"), ("student-warmup-round2.pt", "warmup-round2"),
                          ("student-warmup-round3.pt", "warmup-round3"), ("student-warmup-round4.pt", "warmup-round4")])
        self.assertEqual(plan[0][2], cfg.warmup)
        self.assertEqual(plan[0][2]["silent_calls"], 0)     # the first round's own value, not the self rounds'
        for _, _, wcfg in plan[1:]:
            self.assertEqual(wcfg["reference_placement"], "number_tail_self")
            self.assertEqual((wcfg["transcripts"], wcfg["steps"], wcfg["lr"], wcfg["reference_threshold"],
                              wcfg["silent_calls"]), (96, 700, 0.0002, 0.6, 2))
            # everything else is the first round's recipe
            same = {k: v for k, v in wcfg.items() if k not in ("reference_placement", "transcripts", "steps", "lr",
                                                               "reference_threshold", "silent_calls")}
            self.assertEqual(same, {k: cfg.warmup[k] for k in same})

    def test_no_self_rounds_is_the_single_warmup(self):
        cfg = student_config(rounds=0)
        self.assertEqual(warmup.rounds(cfg), [("student-warmup.pt", "warmup", cfg.warmup)])

    def test_the_warmup_stage_exported_is_the_last_round(self):
        self.assertEqual(stages.stage_checkpoints(student_config(rounds=2))["warmup"], "student-warmup-round3.pt")
        self.assertEqual(stages.stage_checkpoints(student_config(rounds=0))["warmup"], "student-warmup.pt")

    def test_self_rounds_fields_are_validated_by_name(self):
        for patch, needle in (({"rounds": -1}, "self_rounds.rounds"), ({"rounds": 1.5}, "self_rounds.rounds"),
                              ({"lr": 0.0}, "self_rounds.lr"), ({"reference_threshold": 2.0}, "self_rounds.reference_threshold"),
                              ({"silent_calls": 5}, "self_rounds.silent_calls")):
            with self.subTest(patch=patch):
                with self.assertRaises(config.ConfigError) as cm:
                    student_config(**patch)
                self.assertIn(needle, str(cm.exception))


    def test_silent_calls_only_with_self_placed_labels(self):
        with open(os.path.join(CONFIGS, "student.json")) as f:
            raw = json.load(f)
        warm = dict(raw["warmup"], silent_calls=1)
        with self.assertRaises(config.ConfigError) as cm:
            config._check_section("x", "warmup", warm, config.WARMUP_FIELDS)
        self.assertIn("warmup.silent_calls", str(cm.exception))
        warm["reference_placement"] = "number_tail_self"
        self.assertEqual(config._check_section("x", "warmup", warm, config.WARMUP_FIELDS)["silent_calls"], 1)


if __name__ == "__main__":
    unittest.main()
