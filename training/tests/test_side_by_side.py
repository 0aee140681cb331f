"""The pipeline's SFTs side by side (its default): the teacher's in a process of its own, beside the student's."""
import dataclasses
import os
import tempfile
import threading
import unittest
from unittest import mock

import torch

from relay_train import config, pipeline, side_by_side, task
from relay_train.data_parallel import DataParallelFrom

CONFIGS = os.path.join(pipeline.HERE, "configs")


class SideBySideTest(unittest.TestCase):
    def setUp(self):
        # configs with a lookup table: a spawned process that forgot the task variant would train another task
        self.tcfg = config.load(os.path.join(CONFIGS, "teacher.json"), smoke=True)
        self.scfg = config.load(os.path.join(CONFIGS, "student.json"), smoke=True)
        self.assertIsNotNone(self.tcfg.lookup)
        self.tmp = tempfile.TemporaryDirectory()
        self.threads = torch.get_num_threads()
        task.use_lookup(self.tcfg.lookup)
        self.splits = task.make_splits(self.tcfg.seed, 2, 2)
        self.held_out = {q.text for qs in self.splits.values() for q in qs}

    def tearDown(self):
        task.use_lookup(None)
        torch.set_num_threads(self.threads)
        self.tmp.cleanup()

    def _stages(self, name: str) -> pipeline.Stages:
        out = os.path.join(self.tmp.name, name)
        os.makedirs(out)
        return pipeline.Stages(out, resume=False)

    def test_each_model_is_the_one_a_run_on_one_thread_trains_alone(self):
        # without a data-parallel step (the shipped teacher config has one: the last test covers it)
        tcfg = dataclasses.replace(self.tcfg, sft=self.tcfg.sft | {"data_parallel_from": 0})
        torch.set_num_threads(2)
        st = self._stages("side")
        (teacher, t_curve, _), (student, s_curve, _) = side_by_side.train_both(
            st, tcfg, self.scfg, self.held_out, self.splits["dev"])
        self.assertEqual(torch.get_num_threads(), 2)     # the later stages get every thread back
        torch.set_num_threads(1)
        alone = self._stages("alone")
        for cfg, model, curve in ((tcfg, teacher, t_curve), (self.scfg, student, s_curve)):
            ref, ref_curve, _ = pipeline.train_sft(alone, cfg, self.held_out, self.splits["dev"])
            self.assertEqual(curve, ref_curve, cfg.role)
            for name, tensor in ref.state_dict().items():
                self.assertTrue(torch.equal(tensor, model.state_dict()[name]), f"{cfg.role} {name}")
        log = open(os.path.join(st.out, side_by_side.TEACHER_LOG)).read()
        self.assertIn("teacher-sft done", log)

    def test_a_teacher_checkpoint_already_there_is_reused_and_the_student_trains_as_beside_it(self):
        torch.set_num_threads(2)
        st = self._stages("resume")
        torch.save({"model": pipeline.Llama(self.tcfg.model).state_dict(), "curve": [[1, 9.0]], "dev": [],
                    "seconds": 12.5}, os.path.join(st.out, "teacher-sft.pt"))
        st.resume = True
        (_, t_curve, _), (student, s_curve, _) = side_by_side.train_both(
            st, self.tcfg, self.scfg, self.held_out, self.splits["dev"])
        self.assertEqual(t_curve, [[1, 9.0]])
        self.assertFalse(os.path.exists(os.path.join(st.out, side_by_side.TEACHER_LOG)))
        self.assertEqual(torch.get_num_threads(), 2)
        # the student a whole run trains beside the teacher (one thread of two): --teacher-from reproduces it
        torch.set_num_threads(1)
        ref, ref_curve, _ = pipeline.train_sft(self._stages("alone"), self.scfg, self.held_out, self.splits["dev"])
        self.assertEqual(s_curve, ref_curve)
        for name, tensor in ref.state_dict().items():
            self.assertTrue(torch.equal(tensor, student.state_dict()[name]), name)


    def test_with_data_parallel_from_the_teacher_splits_batches_from_that_step_and_is_the_run_alone_with_that_split(self):
        tcfg = dataclasses.replace(self.tcfg, sft=self.tcfg.sft | {"data_parallel_from": 4})
        torch.set_num_threads(2)
        st = self._stages("split")
        (teacher, t_curve, _), _ = side_by_side.train_both(st, tcfg, self.scfg, self.held_out, self.splits["dev"])
        log = open(os.path.join(st.out, side_by_side.TEACHER_LOG)).read()
        self.assertIn("step 4: each batch split with a helper process on 1 thread(s) from here", log)
        self.assertNotIn("step 3: each batch", log)
        torch.set_num_threads(1)
        alone = self._stages("alone")
        whole, _, _ = pipeline.train_sft(alone, tcfg, self.held_out, self.splits["dev"])
        done = threading.Event()
        done.set()
        with DataParallelFrom(4, 1, done, alone.prog) as dp:
            ref, ref_curve, _ = pipeline.train_sft(self._stages("alone-split"), tcfg, self.held_out,
                                                   self.splits["dev"], at_step=dp.at_step, backward=dp.backward)
        self.assertEqual(t_curve, ref_curve)
        for name, tensor in ref.state_dict().items():
            self.assertTrue(torch.equal(tensor, teacher.state_dict()[name]), name)
        # the split steps are another draw than one process (what makes this test see the helper at all)
        self.assertFalse(all(torch.equal(t, whole.state_dict()[n]) for n, t in teacher.state_dict().items()))


class SftFlagTest(unittest.TestCase):
    def test_side_by_side_is_the_default_and_in_turn_the_one_flag_that_turns_it_off(self):
        self.addCleanup(task.use_lookup, None)
        self.addCleanup(torch.set_num_threads, torch.get_num_threads())
        with tempfile.TemporaryDirectory() as out:
            for argv, side in (([], True), (["--sft-in-turn"], False)):
                with self.subTest(argv=argv), mock.patch.object(pipeline, "run") as run:
                    self.assertEqual(pipeline.main(["--smoke", "--out", out, *argv]), 0)
                    self.assertIs(run.call_args.kwargs["sft_side_by_side"], side)
            with mock.patch.object(pipeline, "run") as run, mock.patch("sys.stderr"), \
                    self.assertRaises(SystemExit):
                pipeline.main(["--smoke", "--out", out, "--sft-side-by-side"])
            run.assert_not_called()


if __name__ == "__main__":
    unittest.main()
