"""How much the training-side speedups of model.py buy, measured in one run (`npm run bench:train`).

    python3 -m relay_train.speed_bench [--rounds 3] [--threads 1]

1. Attention in batch slices (model.ATTENTION_SLICE_ELEMENTS) against the whole batch at once, for
   one forward and backward step of the shipped student and teacher architectures (random weights,
   seeded) at the batch shapes the pipeline trains on: bucketed SFT batches (64 x 124 tokens), warm-up
   and self-placed rounds (64 x 202: transcripts and reference answers of every length in one batch),
   GRPO (128 x 202). The two ways alternate within each round; medians of the rounds; the gradients
   are checked to be bit-identical.
2. `Llama.step` attends over the cache up to the furthest position only. A rollout of 256 sequences
   decoding positions 0..63 of a 320-position cache, against the same with one extra sequence parked
   at the cache's last position, which makes every step read the whole cache as all steps did before.

3. The self-placed rounds' labels (`self_labels.place`) reading each pass's argmax and next-token
   probability from one tensor operation, against reading them token by token from the probability tensor
   in Python, as the scans did before. The shipped warmed-up student (what the rounds go on training)
   labels 58 reference answers (a round's reference share of a batch) per round; the labels are checked
   to be the same. The SFT student stops its scans early (it errs soon), so it would hide the difference.
4. The teacher's SFT once the student's is done (`sft.data_parallel_from`): a step of a batch of the
   teacher's stream (its third pool) on 1 thread, on `--all-threads` (default 2), and split with a helper
   process, 1 thread each (data_parallel.py). Another draw than one process, so no bit-identity to check.

Prints one line per case with both timings and their ratio. Asserts nothing about time.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import threading
import time
from unittest import mock

import torch

from . import config, data_parallel, model as model_module, self_labels, sft, task
from .model import Llama
from .experiment import HERE, REFERENCE, experiment_splits
from .gguf_read import load_llama

WHOLE = 1 << 62
SHAPES = (("sft batch", 64, 124), ("warm-up batch", 64, 202), ("grpo batch", 128, 202))


def _train_step_seconds(m: Llama, tokens, elements: int) -> tuple[float, list]:
    with mock.patch.object(model_module, "ATTENTION_SLICE_ELEMENTS", elements):
        m.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        sft.masked_lm_loss(m, tokens, torch.ones(tokens.shape)).backward()
        return time.perf_counter() - t0, [p.grad for p in m.parameters()]


def bench_training(name: str, m: Llama, rounds: int) -> None:
    for label, b, t in SHAPES:
        tokens = torch.randint(0, m.cfg.vocab_size, (b, t), generator=torch.Generator().manual_seed(b + t))
        _train_step_seconds(m, tokens, model_module.ATTENTION_SLICE_ELEMENTS)      # warm the allocator
        whole, sliced, same = [], [], True
        for _ in range(rounds):
            sw, gw = _train_step_seconds(m, tokens, WHOLE)
            ss, gs = _train_step_seconds(m, tokens, model_module.ATTENTION_SLICE_ELEMENTS)
            whole.append(sw)
            sliced.append(ss)
            same = same and all(torch.equal(a, c) for a, c in zip(gw, gs))
        w, s = statistics.median(whole), statistics.median(sliced)
        print(f"{name} train step, {label} {b}x{t}: whole batch {w:.3f} s, in slices {s:.3f} s, "
              f"ratio {w / s:.2f}x, gradients bit-identical: {same}", flush=True)


def _decode_seconds(m: Llama, rows: int, cache_len: int, steps: int, parked: bool) -> float:
    cache = m.new_cache(rows + int(parked), cache_len)
    pos = torch.zeros(rows + int(parked), dtype=torch.long)
    if parked:
        pos[-1] = cache_len - 1
    tokens = torch.full((rows + int(parked),), 65, dtype=torch.long)
    t0 = time.perf_counter()
    for _ in range(steps):
        tokens = m.step(tokens, pos, cache).argmax(-1)
        pos[:rows] += 1
    return time.perf_counter() - t0


def bench_decoding(name: str, m: Llama, rounds: int, rows: int = 256, cache_len: int = 320, steps: int = 64) -> None:
    m.eval()
    full, seen = [], []
    for _ in range(rounds):
        full.append(_decode_seconds(m, rows, cache_len, steps, parked=True))
        seen.append(_decode_seconds(m, rows, cache_len, steps, parked=False))
    f, s = statistics.median(full), statistics.median(seen)
    print(f"{name} decoding, {rows} sequences, {steps} steps, cache {cache_len}: whole cache {f:.3f} s, "
          f"up to the furthest position {s:.3f} s, ratio {f / s:.2f}x", flush=True)
    m.train()


class _TokenByToken:
    """A `self_labels.Reading` field read as the scans read it before: one tensor index per token."""

    def __init__(self, probs: torch.Tensor, tokens: list[int] | None = None):
        self.probs, self.tokens = probs, tokens

    def __getitem__(self, j: int):
        row = self.probs[j]
        return int(row.argmax()) if self.tokens is None else float(row[self.tokens[j + 1]])


def _read_token_by_token(student, seqs):
    tokens, _ = sft.pad_batch(seqs, [[0.0] for _ in seqs])
    probs = self_labels.non_command_probs(student(tokens).float())
    return [self_labels.Reading(_TokenByToken(p), _TokenByToken(p, t.tolist())) for p, t in zip(probs, tokens)]


def _labels_seconds(student, encoded, token_by_token: bool) -> tuple[float, list]:
    with mock.patch.object(self_labels, "read_batch", _read_token_by_token) if token_by_token else contextlib.nullcontext():
        t0 = time.perf_counter()
        labels = self_labels.place(student, encoded, 0.7, 4, 0.0)
        return time.perf_counter() - t0, [(lab.tokens, lab.mask, lab.calls, lab.clean) for lab in labels]


def bench_labels(rounds: int, answers: int = 58) -> None:
    scfg = config.load(f"{HERE}/configs/student.json")
    task.use_lookup(scfg.lookup)
    student = load_llama(f"{REFERENCE}/stages/warmup/slm.gguf")
    sampler = task.train_sampler(scfg.seed, experiment_splits()[1])
    old, new, same, calls = [], [], True, 0
    for _ in range(rounds):
        encoded = [sft.encode_example(next(sampler)) for _ in range(answers)]
        so, lo = _labels_seconds(student, encoded, token_by_token=True)
        sn, ln = _labels_seconds(student, encoded, token_by_token=False)
        old.append(so)
        new.append(sn)
        same, calls = same and lo == ln, calls + sum(len(lab[2]) for lab in ln)
    o, n = statistics.median(old), statistics.median(new)
    print(f"self-placed labels, {answers} answers of the warmed-up student ({calls} commands in all): token by token "
          f"{o:.3f} s, one read per pass {n:.3f} s, ratio {o / n:.2f}x, labels the same: {same}", flush=True)
    task.use_lookup(None)


def _teacher_batches(count: int) -> list:
    tcfg = config.load(f"{HERE}/configs/teacher.json")
    task.use_lookup(tcfg.lookup)
    batches = sft.bucketed_batches(task.train_sampler(tcfg.seed, experiment_splits()[1]), tcfg.sft["batch_size"])
    for _ in range(32):      # past the first two pools: batches of every length the stream has
        next(batches)
    out = [next(batches) for _ in range(count)]
    task.use_lookup(None)
    return out


def _steps_per_second(m: Llama, batches: list, backward) -> float:
    opt = sft.make_optimizer(m, 1e-4, 0.1)
    t0 = time.perf_counter()
    for tokens, mask in batches:
        opt.zero_grad(set_to_none=True)
        backward(m, tokens, mask)
        opt.step()
    return len(batches) / (time.perf_counter() - t0)


def bench_second_core(rounds: int, all_threads: int, steps: int = 12) -> None:
    torch.manual_seed(0)
    m = Llama(config.load(f"{HERE}/configs/teacher.json").model).train()
    batches, before = _teacher_batches(steps), torch.get_num_threads()
    rates: dict = {"1 thread": [], f"{all_threads} threads": [], "split with a helper, 1 thread each": []}
    done = threading.Event()
    done.set()
    try:
        with data_parallel.DataParallelFrom(1, 1, done, mock.Mock()) as dp:
            dp.at_step(1)
            for _ in range(rounds):
                for label, threads, backward in (("1 thread", 1, sft.local_backward),
                                                 (f"{all_threads} threads", all_threads, sft.local_backward),
                                                 ("split with a helper, 1 thread each", 1, dp.backward)):
                    torch.set_num_threads(threads)
                    rates[label].append(_steps_per_second(m, batches, backward))
    finally:
        torch.set_num_threads(before)
    med = {label: statistics.median(r) for label, r in rates.items()}
    one = med["1 thread"]
    print(f"teacher train step, {steps} batches of its stream: " + ", ".join(
        f"{label} {rate:.2f} it/s ({rate / one:.2f}x)" for label, rate in med.items()), flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--all-threads", type=int, default=2, help="case 4's thread count beside 1 thread and the helper")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} round(s), medians", flush=True)
    for role in ("student", "teacher"):
        torch.manual_seed(0)
        m = Llama(config.load(f"{HERE}/configs/{role}.json").model)
        m.train()
        bench_training(role, m, args.rounds)
        bench_decoding(role, m, args.rounds)
    bench_labels(args.rounds)
    bench_second_core(args.rounds, args.all_threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
