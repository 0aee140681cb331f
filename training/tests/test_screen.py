"""The candidate-student screen: where a student's first errors fall, by kind of answer line."""
import unittest

from relay_train import screen, sft, task
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


if __name__ == "__main__":
    unittest.main()
