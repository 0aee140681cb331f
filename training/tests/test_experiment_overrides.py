"""The experiment CLIs' overrides: --set for a stage's section, --model for the student's size."""
import os
import shutil
import unittest
from unittest import mock

from relay_train import config, experiment, sft_experiment, task
from relay_train.experiment import HERE, STUDENT_CONFIG as STUDENT, parse_override


class ModelOverrideTest(unittest.TestCase):
    def tearDown(self):
        task.use_lookup(None)       # an experiment's command line sets the student config's table for the process

    def test_with_model_replaces_only_the_named_fields(self):
        base = config.load(STUDENT)
        sized = config.with_model(base, {"dim": 32, "ffn_dim": 128, "n_heads": 4})
        self.assertEqual((sized.model.dim, sized.model.ffn_dim, sized.model.n_heads), (32, 128, 4))
        self.assertEqual((sized.model.n_layers, sized.model.max_seq_len), (base.model.n_layers, base.model.max_seq_len))
        self.assertEqual(sized.model.vocab_size, base.model.vocab_size)
        self.assertEqual(sized.sft, base.sft)
        self.assertNotEqual(base.model.dim, 32, "the base config is not changed in place")

    def test_with_model_validates_as_a_config_file_does(self):
        base = config.load(STUDENT)
        with self.assertRaisesRegex(config.ConfigError, r"model\.dim' = 4 is outside"):
            config.with_model(base, {"dim": 4})
        with self.assertRaisesRegex(config.ConfigError, "n_heads heads of even size"):
            config.with_model(base, {"dim": 30, "n_heads": 2})

    def test_parse_override_names_the_flag_and_refuses_what_is_not_an_integer(self):
        self.assertEqual(parse_override("dim=32", config.MODEL_FIELDS, "--model"), ("dim", 32))
        with self.assertRaisesRegex(config.ConfigError, r"--model 'width=3'.*key one of"):
            parse_override("width=3", config.MODEL_FIELDS, "--model")
        with self.assertRaisesRegex(config.ConfigError, "--model dim: expected an integer, got '24.5'"):
            parse_override("dim=24.5", config.MODEL_FIELDS, "--model")
        with self.assertRaisesRegex(config.ConfigError, "--set lr: expected a number, got 'fast'"):
            parse_override("lr=fast", config.SFT_FIELDS)

    def test_sft_experiment_trains_the_model_size_given(self):
        name = "_test_model_override"
        out = os.path.join(HERE, "out", "experiments", name)
        self.addCleanup(shutil.rmtree, out, True)
        with mock.patch.object(sft_experiment, "run") as run:
            code = sft_experiment.main(["--name", name, "--model", "dim=16", "--model", "ffn_dim=64",
                                        "--set", "steps=3"])
        self.assertEqual(code, 0)
        scfg, cfg = run.call_args.args[0], run.call_args.args[1]
        self.assertEqual((scfg.model.dim, scfg.model.ffn_dim), (16, 64))
        self.assertEqual(cfg["steps"], 3)

    def test_seed_replaces_only_the_student_configs_seed(self):
        name = "_test_seed_override"
        self.addCleanup(shutil.rmtree, os.path.join(HERE, "out", "experiments", name), True)
        with mock.patch.object(sft_experiment, "run") as run:
            self.assertEqual(sft_experiment.main(["--name", name, "--seed", "99"]), 0)
        scfg, base = run.call_args.args[0], config.load(STUDENT)
        self.assertEqual(scfg.seed, 99)
        self.assertNotEqual(base.seed, 99)
        self.assertEqual((scfg.model, scfg.sft), (base.model, base.sft))
        with mock.patch.object(sft_experiment, "run") as run, mock.patch("sys.stderr"):
            self.assertEqual(sft_experiment.main(["--name", name, "--seed", "-1"]), 2)
        run.assert_not_called()

    def test_train_keys_below_needs_a_lookup_table_that_holds_the_bound(self):
        name = "_test_train_keys"
        self.addCleanup(shutil.rmtree, os.path.join(HERE, "out", "experiments", name), True)
        with mock.patch.object(sft_experiment, "run") as run, \
                mock.patch.object(sft_experiment, "write_splits"):
            self.assertEqual(sft_experiment.main(["--name", name, "--lookup", "100:1300:10",
                                                  "--set", "train_keys_below=1000"]), 0)
        self.assertEqual(run.call_args.args[1]["train_keys_below"], 1000)
        # without --lookup, the student config's own table (keys 100:1000) holds no bound above 1000
        for argv, bound in ((["--set", "train_keys_below=1001"], 1001),
                            (["--lookup", "100:900", "--set", "train_keys_below=1000"], 1000)):
            with mock.patch.object(sft_experiment, "run") as run, mock.patch("sys.stderr") as err:
                self.assertEqual(sft_experiment.main(["--name", name, *argv]), 2)
            run.assert_not_called()
            self.assertIn(f"sft.train_keys_below {bound}:", "".join(c.args[0] for c in err.write.call_args_list))

    def test_sft_experiment_refuses_a_bad_size_before_training_and_makes_no_folder(self):
        out = os.path.join(HERE, "out", "experiments", "_test_model_override_bad")
        shutil.rmtree(out, True)
        self.addCleanup(shutil.rmtree, out, True)
        with mock.patch.object(sft_experiment, "run") as run, mock.patch("sys.stderr"):
            code = sft_experiment.main(["--name", "_test_model_override_bad", "--model", "n_heads=5"])
        self.assertEqual(code, 2)
        run.assert_not_called()
        self.assertFalse(os.path.exists(out), "a refused run leaves no experiment folder behind")


class DiagnosticTaskTest(unittest.TestCase):
    """The split diagnostics (first_errors, screen, self_labels) read the shipped pair's task unless told."""

    def tearDown(self):
        task.use_lookup(None)

    def _questions(self, argv):
        with mock.patch.object(experiment, "load_llama"):
            args, _, _ = experiment.student_on_split_cli(["--student", "x.gguf", *argv], "doc")
        return args, experiment.split_questions(args.split)

    def test_without_lookup_the_shipped_student_configs_table_and_none_for_the_task_without_one(self):
        shipped = config.load(STUDENT).lookup
        self.assertIsNotNone(shipped)
        args, questions = self._questions([])
        self.assertEqual(args.lookup, shipped)
        self.assertTrue(all("f(" in q.text for q in questions))
        args, questions = self._questions(["--lookup", "none"])
        self.assertIsNone(args.lookup)
        self.assertFalse(any("f(" in q.text for q in questions))
        args, _ = self._questions(["--lookup", "100:900"])
        self.assertEqual((args.lookup.lo, args.lookup.hi), (100, 900))


if __name__ == "__main__":
    unittest.main()
