import json
import os
import tempfile
import unittest

from relay_train import config, tokenizer


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
            self.assertEqual(config.load(os.path.join(root, "experiments", name)).role, "student", name)

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
