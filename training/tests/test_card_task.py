"""The model card's task description: the shipped task, its lookup variant, and the pipeline's time."""
import copy
import json
import os
import re
import unittest

from relay_train import card, pipeline, task

METRICS = os.path.join(pipeline.ROOT, "models", "reference", "metrics.json")
TOTAL = re.compile(r"Whole pipeline including evaluation and export: ([\d.]+) min")


class CardTaskTest(unittest.TestCase):
    def setUp(self):
        with open(METRICS) as f:
            self.res = json.load(f)     # the shipped pair's result: a card for the lookup variant

    def _with_train_keys(self, keys_below: int) -> dict:
        res = copy.deepcopy(self.res)
        res["configs"]["student"]["sft"]["train_keys_below"] = keys_below
        return res

    def test_the_task_without_lookups_keeps_its_example_and_says_nothing_of_lookups(self):
        res = self._with_train_keys(0)
        res.pop("lookup", None)
        text = card.model_card(res)
        self.assertIn("`<s>Compute 37*48+15-6.\\n`", text)
        self.assertIn("synthetic arithmetic task with", text)
        self.assertNotIn("table lookup", text)
        self.assertNotIn("f(", text)

    def test_the_lookup_variant_shows_a_looked_up_example_and_which_keys_only_the_teacher_holds(self):
        self.assertEqual(self.res.get("lookup"), {"lo": 100, "hi": 1000, "low": 10, "seed": 7},
                         "models/reference/metrics.json records the shipped pair's lookup table")
        text = card.model_card(self.res)
        value = task.Lookup(100, 1000, low=10).value(926)
        self.assertIn("`<s>Compute f(926)*48+15-6.\\n`", text)
        self.assertIn(f"\nf(926)={value}\n", text)      # the answer's second line looks the value up
        self.assertIn(f"\\boxed{{{value * 48 + 15 - 6}}}", text)
        self.assertIn("synthetic arithmetic task with a table lookup", text)
        self.assertIn("a key in 100..999; its value is a fixed table entry in 10..99 (drawn with seed 7)", text)
        self.assertIn("only keys below 700 (dev and test ask every key), so the values of keys 700..999", text)

    def test_a_student_trained_on_every_key_gets_no_sentence_on_a_split_table(self):
        text = card.model_card(self._with_train_keys(0))
        self.assertIn("a key in 100..999", text)
        self.assertNotIn("only the teacher holds", text)

    def test_side_by_side_sfts_count_the_longer_one_only(self):
        res = copy.deepcopy(self.res)
        tim = res["timings_s"] = {"teacher-sft": 3000.0, "student-sft": 1000.0, "grpo": 600.0}
        res["sft_side_by_side"] = False
        apart = float(TOTAL.search(card.model_card(res)).group(1))
        res["sft_side_by_side"] = True
        text = card.model_card(res)
        self.assertAlmostEqual(apart - float(TOTAL.search(text).group(1)), tim["student-sft"] / 60, places=1)
        self.assertIn("the two SFTs side by side, one thread each", text)


if __name__ == "__main__":
    unittest.main()
