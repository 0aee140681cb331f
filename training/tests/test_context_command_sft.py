"""SFT answers with context-only commands (self_labels.context_command_examples)."""
import itertools
import unittest

from relay_train import self_labels, sft, task
from relay_train.tokenizer import CALL, END_CALL

SFT = {"steps": 1, "batch_size": 4, "lr": 1e-3, "warmup_steps": 0, "weight_decay": 0.0}


def questions(n, seed=3):
    return list(itertools.islice(task.train_sampler(seed, set()), n))


def without_commands(tokens, mask):
    """Tokens and mask with every `<call>n</call>` removed (the digits between the markers too)."""
    out, out_mask, inside = [], [], False
    for tok, m in zip(tokens, mask):
        if tok == CALL:
            inside = True
        elif tok == END_CALL:
            inside = False
        elif not inside:
            out.append(tok)
            out_mask.append(m)
        else:
            assert m == 0.0, "a command's count is context only"
    return out, out_mask


class ContextCommandSftTest(unittest.TestCase):
    def test_share_zero_keeps_the_plain_stream(self):
        self.assertIsNone(self_labels.context_command_examples(SFT | {"context_commands_share": 0.0,
                                                                       "context_commands_max": 3}, seed=0))

    def test_every_answer_reads_commands_it_is_not_taught_to_write_and_keeps_its_reference(self):
        example = self_labels.context_command_examples(SFT | {"context_commands_share": 1.0,
                                                               "context_commands_max": 2}, seed=0)
        for q in questions(60):
            tokens, mask = example(q)
            plain_tokens, plain_mask = sft.answer_example(q)
            commands = tokens.count(CALL)
            self.assertGreaterEqual(commands, 1)
            self.assertLessEqual(commands, 2)
            self.assertEqual(tokens.count(END_CALL), commands)
            for i, tok in enumerate(tokens):
                if tok in (CALL, END_CALL):
                    self.assertEqual(mask[i], 0.0)
            # the rest is the reference answer, every answer token a target as in plain SFT
            self.assertEqual(without_commands(tokens, mask), (plain_tokens, plain_mask))

    def test_a_share_mixes_plain_and_commanded_answers_the_same_way_for_a_seed(self):
        cfg = SFT | {"context_commands_share": 0.5, "context_commands_max": 3}
        qs = questions(80)
        first_example, again_example = (self_labels.context_command_examples(cfg, seed=7) for _ in range(2))
        first, again = [first_example(q) for q in qs], [again_example(q) for q in qs]
        self.assertEqual(first, again)
        commanded = sum(CALL in tokens for tokens, _ in first)
        self.assertGreater(commanded, 20)
        self.assertLess(commanded, 60)

    def test_batches_are_built_from_the_example_given(self):
        example = self_labels.context_command_examples(SFT | {"context_commands_share": 1.0,
                                                               "context_commands_max": 1}, seed=0)
        tokens, _ = next(sft.bucketed_batches(task.train_sampler(3, set()), 4, pool_batches=2, example=example))
        self.assertTrue(all(CALL in row.tolist() for row in tokens))
        tokens, _ = next(sft.bucketed_batches(task.train_sampler(3, set()), 4, pool_batches=2))
        self.assertFalse(any(CALL in row.tolist() for row in tokens))


if __name__ == "__main__":
    unittest.main()
