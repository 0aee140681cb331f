import hashlib
import json
import os
import random
import tempfile
import unittest

from relay_train import card_task, task

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "models", "reference")


class TaskTest(unittest.TestCase):
    def test_answers_match_python_arithmetic_and_bounds(self):
        rng = random.Random(3)
        for k in (2, 3, 4):
            for _ in range(500):
                q = task.sample_question(rng, k)
                text, value, inter = task.solve(q)
                self.assertEqual(value, eval(q.expr))
                self.assertLessEqual(q.ops.count("*"), 2)
                self.assertTrue(all(0 <= n <= 99 for n in q.operands))
                self.assertTrue(all(abs(v) < task.LIMIT for v in inter))
                self.assertEqual(task.extract_answer(text), value)
                self.assertTrue(text.endswith(f"\\boxed{{{value}}}"))

    def test_fixed_width_reversed_working(self):
        q = task.Question((37, 48, 15, 6), ("*", "+", "-"))
        self.assertEqual(task.solve(q)[0], "\n".join([
            "37*48+15-6", "73000*8=69200", "73000*04=08410", "69200+08410=67710", "=1776+15-6",
            "+67710+51000=+19710", "=1791-6", "+19710-60000=+58710", "=1785", "\\boxed{1785}"]))
        self.assertEqual(task.scol(-1757), "-75710")
        self.assertEqual(task.solve(task.Question((19, 50), ("-",)))[0], "19-50\n+91000-05000=-13000\n=-31\n\\boxed{-31}")

    def test_splits_are_disjoint_and_large_enough(self):
        s = task.make_splits(1234, 400, 100)
        test, dev = {q.text for q in s["test"]}, {q.text for q in s["dev"]}
        self.assertGreaterEqual(len(test), 1000)
        self.assertFalse(test & dev)
        self.assertEqual({q.n_operands for q in s["test"]}, {2, 3, 4})
        gen = task.train_sampler(5, test | dev)
        self.assertFalse({next(gen).text for _ in range(5000)} & (test | dev))

    def test_grader_takes_last_boxed(self):
        self.assertEqual(task.extract_answer("\\boxed{3} then \\boxed{-1,234}"), -1234)
        self.assertIsNone(task.extract_answer("no answer"))
        self.assertFalse(task.is_correct("\\boxed{x}", 1))

    def test_the_task_without_lookups_draws_the_splits_it_always_drew(self):
        # The variant draws its keys only when set: without it the splits stay those the pairs before the lookup
        # pair published (their models/reference/data/test.jsonl in git history has this sha256), so their
        # results and the serving tests' datasets stay comparable.
        self.assertIsNone(task.lookup_in_use())
        test = task.make_splits(1234, 400, 100)["test"]
        self.assertEqual([q.text for q in test[:3]], ["Compute 14-0.", "Compute 74+4.", "Compute 88*10."])
        with tempfile.TemporaryDirectory() as tmp:
            task.write_jsonl(os.path.join(tmp, "test.jsonl"), test)
            with open(os.path.join(tmp, "test.jsonl"), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(digest, "377b3ed3a84530e059b4aa9eca5a0a7cf7c850e69c3fbaa188365aeb637fab50")

    def test_shipped_splits_are_drawn_with_the_lookup_table_its_metrics_record(self):
        with open(os.path.join(REFERENCE, "metrics.json")) as f:
            spec = card_task.lookup_of(json.load(f))
        self.addCleanup(task.use_lookup, None)
        task.use_lookup(spec)
        for name, questions in task.make_splits(1234, 400, 100).items():
            with open(os.path.join(REFERENCE, "data", f"{name}.jsonl")) as f:
                published = [json.loads(line) for line in f]
            drawn = [{"question": q.text, "answer": str(task.solve(q)[1]), "level": q.n_operands} for q in questions]
            self.assertEqual(len(drawn), len(published), name)
            differ = [(mine, theirs) for mine, theirs in zip(drawn, published) if mine != theirs]
            self.assertEqual(len(differ), 0, f"{name}: rows differ from the split drawn with the lookup table "
                                             f"metrics.json records ({spec}); the first: {differ[:1]}")


class LookupVariantTest(unittest.TestCase):
    def tearDown(self):
        task.use_lookup(None)

    def test_answer_looks_the_key_up_then_computes(self):
        spec = task.Lookup(100, 1000)
        q = task.Question((spec.value(361), 97), ("+",), (361, None))
        v = spec.value(361)
        self.assertEqual(q.text, "Compute f(361)+97.")
        lines = task.solve(q)[0].split("\n")
        self.assertEqual(lines[:3], ["f(361)+97", f"f(361)={v}", f"={v}+97"])
        self.assertEqual(lines[3:], task.solve(task.Question((v, 97), ("+",)))[0].split("\n")[1:])

    def test_sampled_questions_have_one_key_in_range_and_the_table_is_seeded(self):
        task.use_lookup(task.parse_lookup("1000:4000"))
        rng = random.Random(5)
        for k in (2, 3, 4):
            for _ in range(300):
                q = task.sample_question(rng, k)
                keyed = [(i, key) for i, key in enumerate(q.keys) if key is not None]
                self.assertEqual(len(keyed), 1)
                i, key = keyed[0]
                self.assertTrue(1000 <= key < 4000)
                self.assertEqual(q.operands[i], task.Lookup(1000, 4000).value(key))
                self.assertEqual(task.solve(q)[1], eval(q.expr.replace(f"f({key})", str(q.operands[i]))))
        self.assertNotEqual(task.Lookup(0, 50).table, task.Lookup(0, 50, seed=8).table)

    def test_screened_tables_reproduce_and_low_bounds_every_value(self):
        # The tables the sixth session screened (values 0..99), pinned so their figures reproduce.
        self.assertEqual(task.parse_lookup("100:1000").table[:8], (41, 19, 50, 83, 6, 9, 68, 12))
        self.assertEqual(task.parse_lookup("1000:4000").table[-4:], (13, 93, 63, 57))
        two_digits = task.parse_lookup("1000:2500:10")
        self.assertEqual((two_digits.lo, two_digits.hi, two_digits.low), (1000, 2500, 10))
        self.assertTrue(all(10 <= v <= 99 for v in two_digits.table))
        self.assertEqual({v // 10 for v in two_digits.table}, set(range(1, 10)))

    def test_train_stream_asks_only_keys_below_the_bound_and_the_splits_all_keys(self):
        task.use_lookup(task.parse_lookup("100:300:10"))
        key = lambda q: next(k for k in q.keys if k is not None)  # noqa: E731
        stream = task.train_sampler(3, set(), keys_below=200)
        train_keys = {key(next(stream)) for _ in range(2000)}
        self.assertEqual((min(train_keys), max(train_keys)), (100, 199))
        everything = task.train_sampler(3, set())
        self.assertGreater(max(key(next(everything)) for _ in range(2000)), 250)
        split_keys = {key(q) for qs in task.make_splits(5, 100, 100).values() for q in qs}
        self.assertGreater(max(split_keys), 250)
        self.assertLess(min(split_keys), 110)
        for bad in (100, 301):
            with self.assertRaises(ValueError):
                next(task.train_sampler(3, set(), keys_below=bad))
        task.use_lookup(None)
        with self.assertRaisesRegex(ValueError, "no lookup table"):
            next(task.train_sampler(3, set(), keys_below=200))

    def test_bad_lookup_specs_are_refused(self):
        for text in ("10", "a:b", "5:5", ":9", "1:9:100", "1:9:1:2", "1:9:"):
            with self.assertRaises(ValueError):
                task.parse_lookup(text)


if __name__ == "__main__":
    unittest.main()
