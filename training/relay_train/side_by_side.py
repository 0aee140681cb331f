"""The teacher's and the student's SFT at once, each on half the threads: the pipeline's default
(`--sft-in-turn` trains them one after the other, each on every thread).

Why: on the 2 cores the recipe assumes, one small model's SFT gains little from a second thread: the
teacher's recipe ran at 1.05-1.08 it/s on 2 threads alone, and at 0.87-0.93 it/s on 1 thread (training
README "Measured on 2026-12-06, eighth session"). Side by side the student's SFT costs the teacher's
little more than a slower first hour (0.72-0.86 it/s beside it): about 114 minutes for both, estimated
from those rates, against about 131-137 one after the other. The two SFTs are independent: each draws
from its own seed, and each one-thread draw is the same whether the other runs beside it or not.

With the teacher config's `sft.data_parallel_from` K (not 0), the teacher trains K steps alone on half the
threads, then waits for the student's SFT to be done (most often it already is) and splits each later batch
with a helper process on the other half (data_parallel.py says why and how).

The teacher trains in a spawned process (its log: `teacher-sft.log` in the work dir) and writes its
checkpoint; the pipeline trains the student meanwhile, waits, then loads the teacher's checkpoint as
`--resume` would. With `--resume` or a seeded teacher, a checkpoint already there is used instead, and the
student still trains on half the threads: the thread count is part of its draw, so `--teacher-from` gives the
student a whole run gives.
"""
from __future__ import annotations

import multiprocessing
import os

import torch

from . import task
from .data_parallel import DataParallelFrom

TEACHER_LOG = "teacher-sft.log"


def _teacher_process(out: str, tcfg, lookup, held_out: set, dev: list, threads: int, student_done) -> None:
    """The spawned process: it starts with a fresh interpreter, so the task variant and the thread
    count are set again here."""
    from . import pipeline
    torch.set_num_threads(threads)
    task.use_lookup(lookup)
    st = pipeline.Stages(out, resume=False, log_name=TEACHER_LOG)
    split_from = tcfg.sft["data_parallel_from"]
    if not split_from:
        st.timed("teacher-sft", lambda: pipeline.train_sft(st, tcfg, held_out, dev))
        return
    with DataParallelFrom(split_from, threads, student_done, st.prog) as dp:
        st.timed("teacher-sft", lambda: pipeline.train_sft(st, tcfg, held_out, dev, at_step=dp.at_step,
                                                           backward=dp.backward))


def train_both(st, tcfg, scfg, held_out: set, dev: list) -> tuple[tuple, tuple]:
    """(teacher, student) SFT results as `pipeline.train_sft` gives them, trained side by side."""
    from . import pipeline
    threads = torch.get_num_threads()
    half = max(1, threads // 2)
    ckpt = os.path.join(st.out, "teacher-sft.pt")
    if (st.resume or st.teacher_seeded) and os.path.exists(ckpt):     # no teacher to train
        st.prog.info(f"teacher-sft from {ckpt}; student-sft on {half} thread(s), as it trains beside a teacher")
        try:
            torch.set_num_threads(half)
            return pipeline.train_sfts_in_turn(st, tcfg, scfg, held_out, dev)
        finally:
            torch.set_num_threads(threads)
    ctx = multiprocessing.get_context("spawn")
    student_done = ctx.Event()
    # Not a daemon, so that it may start the data-parallel helper; the `finally` below stops it if the student fails.
    child = ctx.Process(target=_teacher_process, daemon=False,
                        args=(st.out, tcfg, task.lookup_in_use(), held_out, dev, half, student_done))
    split_from = tcfg.sft["data_parallel_from"]
    later = f", each batch split with a helper from step {split_from} once student-sft is done" if split_from else ""
    st.prog.info(f"teacher-sft in a process of its own on {half} thread(s){later} (log: {TEACHER_LOG}); "
                 f"student-sft here on {half}")
    child.start()
    try:
        torch.set_num_threads(half)
        student = st.timed("student-sft", lambda: pipeline.train_sft(st, scfg, held_out, dev))
        student_done.set()
        st.prog.info("student-sft done; waiting for teacher-sft")
        child.join()
    finally:
        if child.is_alive():
            child.terminate()
        torch.set_num_threads(threads)
    if child.exitcode != 0:
        raise RuntimeError(f"teacher-sft process failed (exit {child.exitcode}); see {TEACHER_LOG}")
    teacher = st.timed("teacher-sft", lambda: pipeline.train_sft(st, tcfg, held_out, dev, saved_by_side=True))
    return teacher, student
