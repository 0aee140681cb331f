"""Commands where the student really writes them when it relays, as context for its self-placed labels.

A self-placed round (self_labels.place) teaches the student to call where it errs and to go on
after those commands. Serving puts its commands elsewhere too: a student calls where no label is,
and more so under a positive call_bias, and each command it reads shifts the distances it computes
by. `served_pool` relays greedily, as serving does, on a pool of train questions (the teacher
answers each call) and keeps, for each question, the commands the student wrote before its text
first left the reference answer, in reference coordinates (t, n). The round then labels those
questions with those commands already in the student's context (as `silent` commands: read,
not taught), so that it learns to compute after the commands it does write, and to call where
it still errs after them.
"""
from __future__ import annotations

import random

import torch

from . import sft, task
from .evaluate import prompt_ids
from .relay_steps import Transcript
from .rollout import rollout

# The pool is relayed under each of these call biases in turn (the serving knob's useful range on
# the reference pair), so that the commands a student writes under a raised bias are in it too.
POOL_CALL_BIASES = (0.0, 1.0, 2.0)


def served_commands(ref: list[int], start: int, response: list[int], source: list[str]) -> list[tuple[int, int]]:
    """The student's commands in `response` as (reference index, n), up to where the text first
    differs from the reference `ref` (its answer starts at `start`): a command counts when the
    teacher wrote its n tokens and they are the reference's."""
    out, i, j = [], 0, start
    while i < len(response):
        if source[i] == "C":
            k = i
            while k < len(response) and source[k] == "C":
                k += 1
            m = k
            while m < len(response) and source[m] == "T":
                m += 1
            if m == k or response[k:m] != ref[j:j + m - k]:
                break
            out.append((j, m - k))
            i, j = m, j + m - k
            continue
        if j >= len(ref) or response[i] != ref[j]:
            break
        i, j = i + 1, j + 1
    return out


@torch.no_grad()
def greedy_relays(student, teacher, questions: list[task.Question], seed: int, max_new_tokens: int = 256,
                  batch: int = 256, call_biases: tuple[float, ...] = POOL_CALL_BIASES) -> list[Transcript]:
    """The student's greedy relays of `questions` (the teacher answering each call), one transcript
    per question; batch b relays under call_biases[b % len]."""
    out = []
    for b, i in enumerate(range(0, len(questions), batch)):
        chunk = questions[i:i + batch]
        out += rollout(student, teacher, [prompt_ids(q) for q in chunk], max_new_tokens=max_new_tokens,
                       temperature=0.0, relay=True, seed=seed + i, call_bias=call_biases[b % len(call_biases)])
    return out


def served_pool(student, teacher, questions: list[task.Question], seed: int,
                max_new_tokens: int = 256, batch: int = 256) -> dict[str, list[tuple[int, int]]]:
    """question text -> the commands the greedy relaying student wrote on it (see served_commands);
    batch b of the pool relays under POOL_CALL_BIASES[b % len]."""
    out = {}
    for q, tr in zip(questions, greedy_relays(student, teacher, questions, seed, max_new_tokens, batch)):
        ref, start = sft.encode_example(q)
        out[q.text] = served_commands(ref, start, tr.response, tr.source)
    return out


def mixed_sampler(pool: list[task.Question], fresh, share: float, seed: int):
    """Endless questions: from the pool (reshuffled each pass) with probability `share`, else fresh."""
    rng = random.Random(seed)
    order: list[task.Question] = []
    while True:
        if rng.random() < share:
            if not order:
                order = list(pool)
                rng.shuffle(order)
            yield order.pop()
        else:
            yield next(fresh)
