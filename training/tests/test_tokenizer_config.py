import json
import os
import tempfile
import unittest
from unittest import mock

from relay_train import config, pipeline, task, tokenizer


class TokenizerTest(unittest.TestCase):
    def test_user_text_never_becomes_control(self):
        ids = tokenizer.encode("Compute <call>5</call>+1. h\u00e9llo \u2713")
        self.assertTrue(all(i < 256 for i in ids))
        self.assertEqual(tokenizer.decode(ids), "Compute <call>5</call>+1. h\u00e9llo \u2713")

    def test_gguf_strings_cover_all_bytes(self):
        toks = tokenizer.gguf_token_strings()
        self.assertEqual(len(toks), tokenizer.VOCAB_SIZE)
        self.assertEqual(len(set(toks)), tokenizer.VOCAB_SIZE)
        self.assertEqual(toks[ord(" ")], "\u0120")
        self.assertEqual(toks[tokenizer.CALL], "<call>")


class ConfigTest(unittest.TestCase):
    def write(self, obj):
        f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(obj, f)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def base(self):
        here = os.path.join(os.path.dirname(__file__), "..", "configs", "teacher.json")
        with open(here) as f:
            return json.load(f)

    def test_shipped_configs_validate(self):
        root = os.path.join(os.path.dirname(__file__), "..", "configs")
        self.assertEqual(config.load(os.path.join(root, "teacher.json")).role, "teacher")
        s = config.load(os.path.join(root, "student.json"), smoke=True)
        self.assertEqual(s.grpo["group_size"], 8)
        # the experiment configs the card's rows name stay loadable as the config format changes
        for name in sorted(os.listdir(os.path.join(root, "experiments"))):
            role = "teacher" if name.endswith("-teacher.json") else "student"
            self.assertEqual(config.load(os.path.join(root, "experiments", name)).role, role, name)

    def test_errors_name_the_field(self):
        cases = [({"model": {**self.base()["model"], "dim": "big"}}, "model.dim"),
                 ({"sft": {**self.base()["sft"], "lr": 5.0}}, "sft.lr"),
                 ({"role": "oracle"}, "role"),
                 ({"extra": 1}, "extra")]
        for patch, needle in cases:
            with self.subTest(needle=needle):
                with self.assertRaises(config.ConfigError) as cm:
                    config.load(self.write({**self.base(), **patch}))
                self.assertIn(needle, str(cm.exception))
        missing = self.base()
        del missing["sft"]["steps"]
        with self.assertRaises(config.ConfigError) as cm:
            config.load(self.write(missing))
        self.assertIn("sft.steps", str(cm.exception))
        with self.assertRaises(config.ConfigError):
            config.load("/nonexistent.json")

    def test_data_parallel_from_is_the_teachers_and_below_its_steps(self):
        teacher = self.base()
        self.assertEqual(config.load(self.write(teacher)).sft["data_parallel_from"], 2250)   # the shipped teacher's
        switched = {**teacher, "sft": {**teacher["sft"], "data_parallel_from": 2400}}
        self.assertEqual(config.load(self.write(switched)).sft["data_parallel_from"], 2400)
        student = os.path.join(os.path.dirname(__file__), "..", "configs", "student.json")
        with open(student) as f:
            s = json.load(f)
        for raw, needle in (({**s, "sft": {**s["sft"], "data_parallel_from": 10}}, "teacher's SFT only"),
                            ({**teacher, "sft": {**teacher["sft"], "data_parallel_from": 6000}}, "below 'sft.steps'"),
                            ({**teacher, "sft": {**teacher["sft"], "data_parallel_from": -1}}, "sft.data_parallel_from")):
            with self.subTest(needle=needle), self.assertRaisesRegex(config.ConfigError, needle):
                config.load(self.write(raw))

    def test_lookup_is_the_task_without_lookups_when_absent_and_validated_when_given(self):
        without = self.base()
        del without["lookup"]
        self.assertIsNone(config.load(self.write(without)).lookup)
        table = {"lo": 100, "hi": 1300, "low": 10, "seed": 7}
        got = config.load(self.write({**self.base(), "lookup": table})).lookup
        self.assertEqual(got, task.parse_lookup("100:1300:10"))
        self.assertEqual(got.table, task.parse_lookup("100:1300:10").table)
        for patch, needle in (({"hi": 50}, "lookup keys 100:50"), ({"low": 100}, "lookup.low"),
                              ({"seed": None}, "lookup.seed"), ({"size": 3}, "'lookup'")):
            with self.subTest(needle=needle):
                with self.assertRaisesRegex(config.ConfigError, needle):
                    config.load(self.write({**self.base(), "lookup": {**table, **patch}}))

    def test_pipeline_refuses_configs_whose_tables_differ_or_whose_train_keys_do_not_fit(self):
        student = os.path.join(os.path.dirname(__file__), "..", "configs", "student.json")
        with open(student) as f:
            s = json.load(f)
        table = {"lo": 100, "hi": 1300, "low": 10, "seed": 7}
        without = {key: value for key, value in self.base().items() if key != "lookup"}
        cases = (({**self.base(), "lookup": table}, s, "lookup tables differ"),
                 (without, s, "lookup tables differ"),
                 (self.base(), {**s, "sft": {**s["sft"], "train_keys_below": 1300}}, "sft.train_keys_below 1300"))
        self.addCleanup(task.use_lookup, None)
        out = tempfile.TemporaryDirectory()
        self.addCleanup(out.cleanup)
        for teacher, stu, needle in cases:
            with self.subTest(needle=needle), mock.patch.object(pipeline, "run") as run, \
                    mock.patch("sys.stderr") as err:
                code = pipeline.main(["--teacher-config", self.write(teacher), "--student-config", self.write(stu),
                                      "--out", out.name])
                self.assertEqual(code, 2)
                run.assert_not_called()
                self.assertIn(needle, "".join(c.args[0] for c in err.write.call_args_list))

    def test_boolean_fields_take_only_booleans(self):
        root = os.path.join(os.path.dirname(__file__), "..", "configs", "student.json")
        with open(root) as f:
            student = json.load(f)
        for bad in (1, "yes", None):
            student["warmup"]["hide_commands"] = bad
            with self.subTest(value=bad):
                with self.assertRaises(config.ConfigError) as cm:
                    config.load(self.write(student))
                self.assertIn("warmup.hide_commands", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
