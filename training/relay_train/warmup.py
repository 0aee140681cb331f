"""Paper stage 1: warm-up SFT on the student's own answers with commands placed at random.

The student samples its answer; at 0..max_calls random token positions a command
`<call>n</call>` is inserted (n = d*10^k, d in 1..9, k in 0..1 with k = 0 at probability
`short_share`, clipped to what is left of the reference answer), the teacher writes those
n tokens, and the student goes on from the teacher's text. Loss is on the student's tokens,
commands included; the teacher's tokens are context only. Transcripts whose final answer is
wrong are dropped.

Where the commands go: with `placement_scale` 0, uniformly over the answer, as in the paper.
With `placement_scale` > 0 they are drawn while the student samples, each token with
probability min(1, placement_scale * (1 - its top probability)) (rollout.CallPlacement), so
that the student's own uncertainty, not chance alone, says where it calls. `hide_commands`
samples the student's continuation without the command in its context (the SFT student has
never seen one and derails on it); `reference_share` of each training batch are reference
answers, so that the warm-up keeps what SFT taught (training/README.md has the measurements).
"""
from __future__ import annotations

import random

import torch

from . import sft, task
from .evaluate import prompt_ids
from .rollout import CallPlacement, Transcript, rollout


def random_commands(rng: random.Random, ref_len: int, max_calls: int, short_share: float = 0.5) -> list[tuple[int, int]]:
    k = rng.randint(0, max_calls)
    positions = sorted(rng.sample(range(ref_len), min(k, ref_len)))
    out = []
    for p in positions:
        n = rng.randint(1, 9) * (1 if rng.random() < short_share else 10)
        out.append((p, max(1, min(n, ref_len - p))))
    return out


def transcript_example(tr: Transcript) -> tuple[list[int], list[float]]:
    tokens = tr.prompt + tr.response
    mask = [0.0] * len(tr.prompt) + [0.0 if s == "T" else 1.0 for s in tr.source]
    return tokens, mask


def build_transcripts(student, teacher, questions, cfg: dict, seed: int, progress,
                      max_new_tokens: int = 256, batch: int = 256) -> tuple[list, dict]:
    rng = random.Random(seed)
    kept, every, stats = [], [], {"sampled": 0, "kept": 0, "calls": 0}
    for i in range(0, len(questions), batch):
        chunk = questions[i:i + batch]
        ref_lens = [len(task.solve(q)[0]) + 1 for q in chunk]
        forced, placement = None, None
        if cfg["placement_scale"] > 0:
            placement = CallPlacement(cfg["placement_scale"], cfg["max_calls"], cfg["short_share"], ref_lens,
                                      seed=rng.randrange(2**31))
        else:
            forced = [random_commands(rng, n, cfg["max_calls"], cfg["short_share"]) for n in ref_lens]
        trs = rollout(student, teacher, [prompt_ids(q) for q in chunk], max_new_tokens=max_new_tokens,
                      temperature=cfg["temperature"], relay=True, student_may_call=False,
                      forced_calls=forced, placement=placement, hide_commands=cfg["hide_commands"],
                      seed=seed + i)
        for q, tr in zip(chunk, trs):
            stats["sampled"] += 1
            every.append(transcript_example(tr))
            if task.is_correct(tr.text, task.solve(q)[1]):
                kept.append(transcript_example(tr))
                stats["kept"] += 1
                stats["calls"] += len(tr.calls)
        progress(min(i + batch, len(questions)), len(questions), f"kept {stats['kept']}/{stats['sampled']}")
    if len(kept) < cfg["batch_size"]:
        # Only an untrained student (smoke runs) gets here: train on every transcript rather than none.
        stats["fallback_all"] = True
        return every, stats
    return kept, stats


def example_batches(examples, batch_size: int, seed: int, reference_share: float = 0.0, reference_sampler=None):
    """Endless shuffled batches of transcripts; `reference_share` of each batch are reference
    answers (plain SFT examples from `reference_sampler`), so the warm-up does not cost the
    student what its SFT taught it (its own correct samples over-represent easy questions)."""
    g = torch.Generator().manual_seed(seed)
    n_ref = round(batch_size * reference_share) if reference_sampler is not None else 0
    n_tr = max(1, batch_size - n_ref)
    while True:
        order = torch.randperm(len(examples), generator=g).tolist()
        for j in range(0, max(1, len(order) - n_tr + 1), n_tr):
            picked = [examples[k % len(examples)] for k in order[j:j + n_tr]]
            picked += [sft.answer_example(next(reference_sampler)) for _ in range(n_ref)]
            yield sft.pad_batch([p[0] for p in picked], [p[1] for p in picked])
