"""Reading distillation's targets: the command-free view after commands, the student itself before them."""
import unittest

import torch

from relay_train import reading
from relay_train.model import Llama, ModelConfig
from relay_train.relay_steps import Transcript
from relay_train.tokenizer import CALL, END_CALL, EOS, VOCAB_SIZE, encode

D1, D5, D7 = encode("1")[0], encode("5")[0], encode("7")[0]
PROMPT = encode("2+3=")
# student 5, command <call>1</call>, teacher 7, student 5, EOS
RESPONSE = [D5, CALL, D1, END_CALL, D7, D5, EOS]
SOURCE = ["S", "C", "C", "C", "T", "S", "S"]


def tiny_model(seed: int) -> Llama:
    torch.manual_seed(seed)
    return Llama(ModelConfig(vocab_size=VOCAB_SIZE, dim=16, n_layers=1, n_heads=2, ffn_dim=32, max_seq_len=64)).eval()


class IndexTest(unittest.TestCase):
    def test_a_position_maps_to_the_last_text_token_at_or_before_it(self):
        # prompt 0..3, response 4..10; the command sits at 5, 6, 7 and is not in the command-free text
        j = reading.command_free_index(SOURCE, len(PROMPT))
        self.assertEqual(j[:5], [0, 1, 2, 3, 4])
        self.assertEqual(j[5:8], [4, 4, 4])          # inside the command: still the 5 before it
        self.assertEqual(j[8:], [5, 6, 7])           # the teacher's 7 is command-free position 5

    def test_choices_are_text_tokens_and_call_commands_are_n_and_end(self):
        choice, command = reading.position_kinds(RESPONSE, SOURCE, len(PROMPT))
        # position i predicts token i + 1: 5 at 4 (from 3), <call> at 5 (from 4), 5 at 9, EOS at 10
        self.assertEqual(choice, [3, 4, 8, 9])
        self.assertEqual(command, [5, 6])            # n's digit and </call>; the teacher's 7 is no target


class ChoiceTargetTest(unittest.TestCase):
    def test_text_follows_the_free_view_and_call_keeps_its_in_context_probability(self):
        hidden = torch.zeros(1, VOCAB_SIZE)
        hidden[0, D5], hidden[0, D7], hidden[0, CALL], hidden[0, END_CALL] = 0.6, 0.2, 0.15, 0.05
        context = torch.zeros(1, VOCAB_SIZE)
        context[0, D7], context[0, CALL] = 0.7, 0.3
        t = reading.choice_target(hidden, context)[0]
        self.assertAlmostEqual(float(t.sum()), 1.0, places=6)
        self.assertAlmostEqual(float(t[CALL]), 0.3, places=6)
        self.assertAlmostEqual(float(t[END_CALL]), 0.0, places=6)
        self.assertAlmostEqual(float(t[D5]), 0.7 * 0.75, places=6)      # 0.6 / (0.6 + 0.2) of the text mass
        self.assertAlmostEqual(float(t[D7]), 0.7 * 0.25, places=6)


class BatchTargetsTest(unittest.TestCase):
    def test_before_a_command_the_target_is_the_student_itself_and_after_it_the_free_view(self):
        frozen = tiny_model(0)
        tr = Transcript(PROMPT, RESPONSE, SOURCE)
        tokens, rows, cols, targets = reading.batch_targets(frozen, [tr])
        with torch.no_grad():
            in_context = torch.softmax(frozen(tokens), -1)[0]
            free = torch.softmax(frozen(torch.tensor([PROMPT + [D5, D7, D5, EOS]])), -1)[0]
        self.assertEqual(cols.tolist(), [3, 4, 8, 9, 5, 6])
        before = reading.choice_target(in_context[[3, 4]], in_context[[3, 4]])
        torch.testing.assert_close(targets[:2], before)
        # the choice at 8 (after the teacher's 7) reads the command-free prefix up to its position 5
        torch.testing.assert_close(targets[2], reading.choice_target(free[[5]], in_context[[8]])[0])
        self.assertFalse(torch.allclose(targets[2], reading.choice_target(in_context[[8]], in_context[[8]])[0]))
        torch.testing.assert_close(targets[4:], in_context[[5, 6]])

    def test_the_loss_is_least_where_the_student_predicts_its_targets(self):
        frozen = tiny_model(0)
        batch = reading.batch_targets(frozen, [Transcript(PROMPT, RESPONSE, SOURCE)])
        other = tiny_model(1)
        self.assertLess(float(reading.distill_loss(frozen, *batch)) - 1e-6, float(reading.distill_loss(other, *batch)))


if __name__ == "__main__":
    unittest.main()
