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

Prints one line per case with both timings and their ratio. Asserts nothing about time.
"""
from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import torch

from . import config, model as model_module, sft
from .model import Llama
from .experiment import HERE

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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} round(s), medians", flush=True)
    for role in ("student", "teacher"):
        torch.manual_seed(0)
        m = Llama(config.load(f"{HERE}/configs/{role}.json").model)
        m.train()
        bench_training(role, m, args.rounds)
        bench_decoding(role, m, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
