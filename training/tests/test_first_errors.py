"""The call decision against the student's confidence at its first greedy error (first_errors)."""
import unittest

from relay_train import first_errors
from tests.test_self_labels import ReferenceReaderFake, digits_starting_numbers, reference


class FirstErrorsTest(unittest.TestCase):
    def test_positions_stop_at_the_first_error_and_a_call_there_outranks_a_confident_error(self):
        _, toks, start = reference(3)
        first, later = [t for t in digits_starting_numbers(toks, start) if t > start + 3][:2]
        unsure = (start + 1, start + 2)       # right but unsure: ranked above the sure error by confidence
        fake = ReferenceReaderFake(toks, wrong_at=(first, later), margin_at=unsure, call_at=(first,))
        rows = first_errors.decision_rows(fake, [(toks, start)])
        self.assertEqual(len(rows), first - start + 1)          # nothing after the first error counts
        self.assertEqual([r[2] for r in rows], [False] * (first - start) + [True])
        got = first_errors.measure(rows)
        self.assertEqual(got["first_errors"], 1)
        self.assertEqual(got["auc"]["call"], 1.0)
        # The fake is surer of its wrong digit than of two right ones: confidence ranks those above it.
        self.assertLess(got["auc"]["confidence"], 1.0)
        self.assertEqual(first_errors.flagged_errors(rows, 0, 1 / len(rows)), 1)
        self.assertEqual(first_errors.flagged_errors(rows, 1, 1 / len(rows)), 0)

    def test_auc_counts_ties_half(self):
        self.assertEqual(first_errors.auc([1.0, 1.0, 0.0], [True, False, False]), 0.75)
        self.assertEqual(first_errors.auc([0.0, 2.0, 1.0], [True, False, False]), 0.0)


if __name__ == "__main__":
    unittest.main()
