"""The teacher's SFT on two processes once the student's is done: each batch split between them.

Side by side (side_by_side.py) the student's SFT ends about an hour before the teacher's, and its core then
idles. More threads hardly help the teacher: its recipe steps at 0.81 it/s on 1 thread and 0.99 on 2 (batches of
its third pool; training README "Measured on 2026-12-07, second session"), while two 1-thread processes, each on
half of every batch, step at 1.60 and 1.65 it/s side by side. So from the teacher config's
`sft.data_parallel_from` K on, once the student's SFT is done, a helper process computes the gradients of the
second half of each batch while the teacher's process computes the first half's; the teacher's process adds
the helper's to its own (its half first, so the sum is the same every run) and takes the optimizer step.

The parameters live in shared memory: the helper reads the weights the teacher's optimizer just wrote, with no
copy, and writes its gradients into one shared buffer. The helper computes only while the teacher's process
waits for it (a batch is handed over at the start of a step, the step is taken after the helper's answer), so
neither reads what the other writes. Each half's loss is divided by the whole batch's target count
(`sft.part_loss`), so the two halves add up to the batch's loss; the sum is rounded otherwise than the whole
batch's, so this is another draw than a run on one process, and the same draw every time: the step count, not
the clock, says when the helper joins (the teacher waits at step K for the student's SFT if it must).
"""
from __future__ import annotations

import os
import queue
import time

import torch
import torch.multiprocessing as tmp

from . import sft

# How long either process waits for the other before it checks that the other is still there.
POLL_S = 30.0


class HelperGone(RuntimeError):
    """The other process of a data-parallel SFT exited while this one waited for it."""


def _wait(inbox, alive, what: str, poll_s: float):
    while True:
        try:
            return inbox.get(timeout=poll_s)
        except queue.Empty as e:      # the other process may have died
            if not alive():
                raise HelperGone(f"data-parallel SFT: {what} exited") from e


def _helper_main(model, grads: torch.Tensor, batches, answers, threads: int, parent: int, poll_s: float) -> None:
    """The helper process: for each (tokens, mask, targets) its part's loss, gradients into `grads`."""
    torch.set_num_threads(threads)
    model.train()
    params = list(model.parameters())
    while True:
        job = _wait(batches, lambda: os.getppid() == parent, "the teacher's process", poll_s)
        if job is None:
            return
        tokens, mask, targets = job
        for p in params:
            p.grad = None
        loss = sft.part_loss(model, tokens, mask, targets)
        loss.backward()
        torch.cat([p.grad.reshape(-1) for p in params], out=grads)
        answers.put(loss.item())


class DataParallelFrom:
    """`pipeline.train_sft`'s `at_step` and `backward` for `sft.data_parallel_from` = `step` (not 0): after
    that step, wait for `student_done` (an Event), then start the helper; from the next step on, each batch
    is split with it. A context manager: leaving it stops the helper."""

    def __init__(self, step: int, threads: int, student_done, prog, poll_s: float = POLL_S):
        self.step, self.threads, self.student_done, self.prog, self.poll_s = step, threads, student_done, prog, poll_s
        self.helper, self.due, self.parent = None, False, os.getppid()

    def __enter__(self) -> "DataParallelFrom":
        return self

    def __exit__(self, *exc) -> None:
        if self.helper is None:
            return
        if self.helper.is_alive():
            self.batches.put(None)
            self.helper.join(self.poll_s)
        if self.helper.is_alive():
            self.helper.terminate()
        self.helper = None

    def at_step(self, k: int) -> None:
        if k != self.step:
            return
        t0 = time.time()
        while not self.student_done.wait(self.poll_s):
            if os.getppid() != self.parent:      # the pipeline is gone: nobody will set the event
                raise HelperGone(f"teacher-sft: the pipeline exited while step {k} waited for the student's SFT")
        self.due = True
        self.prog.info(f"step {k}: each batch split with a helper process on {self.threads} thread(s) from here "
                       f"(waited {time.time() - t0:.1f}s for the student's SFT)")

    def _start(self, model) -> None:
        model.share_memory()
        ctx = tmp.get_context("spawn")
        self.grads = torch.zeros(sum(p.numel() for p in model.parameters())).share_memory_()
        self.batches, self.answers = ctx.Queue(), ctx.Queue()
        self.helper = ctx.Process(target=_helper_main, daemon=True, args=(
            model, self.grads, self.batches, self.answers, self.threads, os.getpid(), self.poll_s))
        self.helper.start()

    def backward(self, model, tokens, mask) -> float:
        """`sft.train_steps`' backward: the whole batch here until the helper runs, then the first half here
        and the second in the helper, the helper's gradients added to this process's."""
        if self.due and self.helper is None:
            self._start(model)
        if self.helper is None:
            return sft.local_backward(model, tokens, mask)
        targets, half = sft.target_count(mask), tokens.shape[0] // 2
        # The helper's half goes as a copy already in shared memory. The queue's feeder thread moves a tensor's
        # storage into shared memory as it sends it, and a view's storage is the whole batch: moved while this
        # process reads its own half from it, that half was once read as garbage (embedding index out of range).
        self.batches.put((tokens[half:].clone().share_memory_(), mask[half:].clone().share_memory_(), targets))
        loss = sft.part_loss(model, tokens[:half], mask[:half], targets)
        loss.backward()
        theirs = _wait(self.answers, self.helper.is_alive, "the helper process", self.poll_s)
        offset = 0
        for p in model.parameters():
            n = p.numel()
            p.grad.add_(self.grads[offset:offset + n].view_as(p))
            offset += n
        return loss.item() + theirs
