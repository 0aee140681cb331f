"""The candidate-student screen: where a student's first errors fall, by kind of answer line."""
import unittest

from relay_train import screen, sft, task
from relay_train.tokenizer import decode
from tests.test_self_labels import ReferenceReaderFake


class ScreenTest(unittest.TestCase):
    def test_line_kinds_of_a_lookup_answer(self):
        q = task.Question((7, 48, 15), ("*", "+"), (None, None, 250))
        lines = task.solve(q)[0].split("\n")
        self.assertEqual([screen.line_kind(line, i) for i, line in enumerate(lines)],
                         ["echo", "lookup", "rewrite", "multiply", "multiply", "add", "rewrite", "add", "rewrite", "boxed"])

    def test_first_error_is_counted_on_its_line_and_later_errors_are_not(self):
        spec = task.Lookup(100, 1000)
        q = task.Question((spec.value(250), 48, 15), ("*", "+"), (250, None, None))
        toks, start = sft.encode_example(q)
        text = task.solve(q)[0]
        at_lookup_value = start + text.index("=")                  # the first digit of f(250)'s value
        lines = text.split("\n")
        add_line = next(i for i, line in enumerate(lines) if screen.line_kind(line, i) == "add")
        at_add = start + sum(len(line) + 1 for line in lines[:add_line]) + 3    # inside a later add line
        got = screen.first_error_kinds(ReferenceReaderFake(toks, wrong_at=(at_add,)), [(toks, start)])
        self.assertEqual(dict(got), {"add": 1})
        got = screen.first_error_kinds(ReferenceReaderFake(toks, wrong_at=(at_lookup_value + 1, at_add)), [(toks, start)])
        self.assertEqual(dict(got), {"lookup": 1})
        self.assertEqual(dict(screen.first_error_kinds(ReferenceReaderFake(toks), [(toks, start)])), {})

    def test_value_confidence_tells_sure_wrong_values_from_unsure_right_ones(self):
        spec = task.Lookup(100, 1000, low=10)
        q = task.Question((spec.value(250), 48, 15), ("*", "+"), (250, None, None))
        toks, start = sft.encode_example(q)
        digits = screen.value_digits(q, start)
        self.assertEqual(decode(toks[digits[0]:digits[-1] + 1]), str(spec.value(250)))
        read = lambda fake: screen.value_confidence(fake, [q], [(toks, start)])  # noqa: E731
        sure_wrong = read(ReferenceReaderFake(toks, wrong_at=(digits[1],)))
        self.assertEqual((sure_wrong["wrong"]["n"], sure_wrong["right"]["n"]), (1, 0))
        self.assertEqual(sure_wrong["wrong"]["at_least_0.9"], 1.0)
        unsure_right = read(ReferenceReaderFake(toks, margin_at=(digits[0],)))
        self.assertEqual((unsure_right["right"]["n"], unsure_right["wrong"]["n"]), (1, 0))
        self.assertEqual(unsure_right["right"]["at_least_0.7"], 0.0)
        self.assertLess(unsure_right["right"]["median"], 0.7)
        plain = task.Question((7, 48), ("*",))
        self.assertIsNone(screen.value_confidence(ReferenceReaderFake(toks), [plain], [sft.encode_example(plain)]))


if __name__ == "__main__":
    unittest.main()
