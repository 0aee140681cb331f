"""The teacher's and the student's SFT at once, each on half the threads: the pipeline's default
(`--sft-in-turn` trains them one after the other, each on every thread).

Why: on the 2 cores the recipe assumes, one small model's SFT gains little from a second thread: the
teacher's recipe ran at 1.05-1.08 it/s on 2 threads alone, and at 0.87-0.93 it/s on 1 thread (training
README "Measured on 2026-12-06, eighth session"). Side by side the student's SFT costs the teacher's
little more than a slower first hour (0.72-0.86 it/s beside it): about 114 minutes for both, estimated
from those rates, against about 131-137 one after the other. The two SFTs are independent: each draws
from its own seed, and each one-thread draw is the same whether the other runs beside it or not.

With the teacher config's `sft.all_threads_from` K (not 0), the teacher trains K steps on half the threads,
then waits for the student's SFT to be done (most often it already is) and trains the rest on every thread:
the second core is otherwise idle for most of the teacher's SFT, and the teacher's recipe runs 1.5x faster
on 2 threads than on 1 (0.90 against 1.35 it/s, training README "Measured on 2026-12-07, second session").
The step count, not the clock, says when, so the teacher is the same whichever SFT finishes first: the one
`pipeline.train_sft` trains alone with the same `thread_switch`.

The teacher trains in a spawned process (its log: `teacher-sft.log` in the work dir) and writes its
checkpoint; the pipeline trains the student meanwhile, waits, then loads the teacher's checkpoint as
`--resume` would. With `--resume` or a seeded teacher, a checkpoint already there is used instead, and the
student still trains on half the threads: the thread count is part of its draw, so `--teacher-from` gives the
student a whole run gives.
"""
from __future__ import annotations

import multiprocessing
import os
import time

import torch

from . import task

TEACHER_LOG = "teacher-sft.log"


# How often a teacher waiting for the student's SFT checks that the pipeline is still there.
PARENT_POLL_S = 30.0


def thread_switch(step: int, threads: int, student_done, prog, poll_s: float = PARENT_POLL_S):
    """`pipeline.train_sft`'s `at_step` hook for `sft.all_threads_from` = `step`: after that step, wait until
    `student_done` (an Event) is set, then train on `threads` threads. None for step 0 (no switch)."""
    if step == 0:
        return None
    parent = os.getppid()

    def at_step(k: int) -> None:
        if k != step:
            return
        t0 = time.time()
        while not student_done.wait(poll_s):
            if os.getppid() != parent:      # the pipeline is gone: nobody will set the event
                raise RuntimeError(f"teacher-sft: the pipeline exited while step {k} waited for the student's SFT")
        torch.set_num_threads(threads)
        prog.info(f"step {k}: on {threads} thread(s) from here (waited {time.time() - t0:.1f}s for the student's SFT)")
    return at_step


def _teacher_process(out: str, tcfg, lookup, held_out: set, dev: list, threads: int, all_threads: int,
                     student_done) -> None:
    """The spawned process: it starts with a fresh interpreter, so the task variant and the thread
    count are set again here."""
    from . import pipeline
    torch.set_num_threads(threads)
    task.use_lookup(lookup)
    st = pipeline.Stages(out, resume=False, log_name=TEACHER_LOG)
    switch = thread_switch(tcfg.sft["all_threads_from"], all_threads, student_done, st.prog)
    st.timed("teacher-sft", lambda: pipeline.train_sft(st, tcfg, held_out, dev, at_step=switch))


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
    child = ctx.Process(target=_teacher_process, daemon=True,
                        args=(st.out, tcfg, task.lookup_in_use(), held_out, dev, half, threads, student_done))
    switch = tcfg.sft["all_threads_from"]
    later = f", on {threads} from step {switch} once student-sft is done" if switch else ""
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
