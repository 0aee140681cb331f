"""The teacher's SFT split with a helper process (relay_train/data_parallel.py)."""
import os
import threading
import unittest
from unittest import mock

import torch

from relay_train import config, data_parallel, pipeline, sft
from relay_train.data_parallel import DataParallelFrom, HelperGone


def _model_and_batch():
    cfg = config.load(os.path.join(pipeline.HERE, "configs", "teacher.json"), smoke=True)
    torch.manual_seed(0)
    model = pipeline.Llama(cfg.model).train()
    tokens = torch.randint(0, cfg.model.vocab_size, (6, 20), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(tokens.shape)
    mask[:3, :12] = 0.0       # the halves hold different numbers of targets
    return model, tokens, mask


class DataParallelTest(unittest.TestCase):
    def setUp(self):
        self.addCleanup(torch.set_num_threads, torch.get_num_threads())
        torch.set_num_threads(1)
        self.done = threading.Event()
        self.prog = mock.Mock()

    def _grads(self, model):
        return [p.grad.clone() for p in model.parameters()]

    def test_the_split_gives_the_whole_batchs_loss_and_gradients_to_rounding(self):
        model, tokens, mask = _model_and_batch()
        whole_loss = sft.local_backward(model, tokens, mask)
        whole = self._grads(model)
        self.done.set()
        with DataParallelFrom(2, 1, self.done, self.prog) as dp:
            dp.at_step(2)
            model.zero_grad(set_to_none=True)
            split_loss = dp.backward(model, tokens, mask)
            self.assertIsNotNone(dp.helper)
        self.assertAlmostEqual(split_loss, whole_loss, places=5)
        for a, b in zip(whole, self._grads(model)):
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7)

    def test_the_helpers_half_is_sent_as_a_shared_copy_never_a_view_of_the_batch_this_process_reads(self):
        model, tokens, mask = _model_and_batch()
        sent = []
        self.done.set()
        with DataParallelFrom(1, 1, self.done, self.prog) as dp:
            dp.at_step(1)
            dp.backward(model, tokens, mask)            # starts the helper
            real_put = dp.batches.put

            def put(job):
                sent.append([(t.storage().data_ptr(), t.is_shared(), t.clone()) for t in job[:2]])
                real_put(job)

            with mock.patch.object(dp.batches, "put", side_effect=put):
                dp.backward(model, tokens, mask)
        (tok_ptr, tok_shared, tok), (mask_ptr, mask_shared, half_mask) = sent[0]
        self.assertNotEqual(tok_ptr, tokens.storage().data_ptr())
        self.assertNotEqual(mask_ptr, mask.storage().data_ptr())
        self.assertTrue(tok_shared and mask_shared)     # moved before the put, not by the queue's feeder thread
        self.assertTrue(torch.equal(tok, tokens[3:]) and torch.equal(half_mask, mask[3:]))

    def test_before_its_step_the_batch_stays_whole_here_and_no_helper_starts(self):
        model, tokens, mask = _model_and_batch()
        self.done.set()
        with DataParallelFrom(3, 1, self.done, self.prog) as dp:
            for k in (1, 2):
                dp.at_step(k)
            loss = dp.backward(model, tokens, mask)
            self.assertIsNone(dp.helper)
        model2, _, _ = _model_and_batch()
        self.assertEqual(loss, sft.local_backward(model2, tokens, mask))

    def test_its_step_waits_for_the_student_then_logs_the_split(self):
        dp = DataParallelFrom(3, 1, self.done, self.prog, poll_s=0.01)
        threading.Timer(0.2, self.done.set).start()
        dp.at_step(3)
        self.assertTrue(self.done.is_set())
        self.assertTrue(dp.due)
        self.assertIn("step 3: each batch split with a helper process on 1 thread(s)", self.prog.info.call_args.args[0])

    def test_a_pipeline_gone_while_it_waits_is_an_error_not_a_hang(self):
        dp = DataParallelFrom(3, 1, self.done, self.prog, poll_s=0.01)
        with mock.patch("os.getppid", return_value=-1), self.assertRaisesRegex(HelperGone, "pipeline exited"):
            dp.at_step(3)

    def test_a_helper_gone_mid_step_is_an_error_not_a_hang(self):
        model, tokens, mask = _model_and_batch()
        self.done.set()
        with DataParallelFrom(1, 1, self.done, self.prog, poll_s=0.05) as dp:
            dp.at_step(1)
            dp.backward(model, tokens, mask)            # starts the helper
            dp.helper.kill()
            dp.helper.join()
            model.zero_grad(set_to_none=True)
            with self.assertRaisesRegex(HelperGone, "helper process exited"):
                dp.backward(model, tokens, mask)

    def test_leaving_stops_the_helper(self):
        model, tokens, mask = _model_and_batch()
        self.done.set()
        with DataParallelFrom(1, 1, self.done, self.prog) as dp:
            dp.at_step(1)
            dp.backward(model, tokens, mask)
            helper = dp.helper
        helper.join(5)
        self.assertFalse(helper.is_alive())
        self.assertEqual(helper.exitcode, 0)        # it ended on the stop message, not by terminate()


if __name__ == "__main__":
    unittest.main()
