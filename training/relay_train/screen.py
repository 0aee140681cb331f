"""Screen a candidate student for a new pair before any pipeline run: is it a student a relay can help?

A pair's student should, trained to convergence, stay well under the teacher with sparse errors: a few
hard steps in a long answer it gets right elsewhere (the model card, "What a next pair's student
needs"). This prints, for one student GGUF on a split, one JSON object:
- `alone`: its greedy accuracy alone (the rollout serving applies);
- `first_error_lines`: teacher-forced on the reference, which kind of answer line holds each answer's
  first argmax error (`LINE_KINDS`), so where its errors are;
- `ceiling`: the placement ceiling, `self_labels.place` with the commands in its context and hidden
  (threshold 0, at most 4 calls), and `ceiling_pgr`: the hidden ceiling's PGR against the reference
  (a teacher that is always right: slightly optimistic);
- `first_errors`: how well its confidence (what the uncertainty trigger reads) ranks its first errors
  (`first_errors.measure`): the higher, the stronger that untrained baseline;
- `value_confidence` (the lookup variant): teacher-forced, the looked-up values it gets right and wrong,
  and how sure it is of each (the smallest top probability over the value's digits): a wrong value it
  is sure of is one an uncertainty trigger passes by.

    python3 -m relay_train.screen --student PATH.gguf [--split test] [--lookup LO:HI[:LOW]]
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import Counter

import torch

from . import evaluate, first_errors, self_labels, sft, task
from .tokenizer import decode

MAX_CALLS = 4


def line_kind(line: str, index: int) -> str:
    """The kind of an answer line (task.py's format): echo, lookup, multiply, add, rewrite or boxed."""
    if index == 0:
        return "echo"
    if line.startswith("f("):
        return "lookup"
    if line.startswith("="):
        return "rewrite"
    if line.startswith("\\boxed"):
        return "boxed"
    return "multiply" if "*" in line else "add"


@torch.no_grad()
def first_error_kinds(student, encoded: list[tuple[list[int], int]], batch: int = 100) -> Counter:
    """Per kind of line, how many answers have their first teacher-forced argmax error there."""
    kinds: Counter = Counter()
    for i in range(0, len(encoded), batch):
        chunk = encoded[i:i + batch]
        tokens, _ = sft.pad_batch([toks for toks, _ in chunk], [[0.0] for _ in chunk])
        wrong = self_labels.non_command_probs(student(tokens).float()).argmax(-1)[:, :-1] != tokens[:, 1:]
        for b, (toks, start) in enumerate(chunk):
            at = next((t for t in range(start, len(toks)) if wrong[b, t - 1]), None)
            if at is not None:
                before = decode(toks[start:at])
                kinds[line_kind(before.split("\n")[-1], before.count("\n"))] += 1
    return kinds


@torch.no_grad()
def value_confidence(student, questions, encoded, batch: int = 100) -> dict | None:
    """Over the questions with a lookup: per right and wrong value (argmax on every digit), how many,
    and the median and the shares at or above 0.7 and 0.9 of each value's smallest top probability."""
    sure: dict[str, list[float]] = {"right": [], "wrong": []}
    for i in range(0, len(encoded), batch):
        chunk = list(zip(questions[i:i + batch], encoded[i:i + batch]))
        tokens, _ = sft.pad_batch([toks for _, (toks, _) in chunk], [[0.0] for _ in chunk])
        probs = self_labels.non_command_probs(student(tokens).float())
        for b, (q, (toks, start)) in enumerate(chunk):
            at = value_digits(q, start)
            if at is None:
                continue
            top = [probs[b, t - 1].max() for t in at]
            right = all(int(probs[b, t - 1].argmax()) == toks[t] for t in at)
            sure["right" if right else "wrong"].append(float(min(top)))
    if not sure["right"] and not sure["wrong"]:
        return None
    return {name: {"n": len(v), "median": statistics.median(v) if v else None,
                   "at_least_0.7": sum(x >= 0.7 for x in v) / len(v) if v else None,
                   "at_least_0.9": sum(x >= 0.9 for x in v) / len(v) if v else None} for name, v in sure.items()}


def value_digits(q, start: int) -> list[int] | None:
    """Token indices of the looked-up value's digits in q's encoded reference (None: no lookup): the
    answer's second line is `f(key)=value`, one token per character."""
    key = next((k for k in q.keys if k is not None), None)
    if key is None:
        return None
    echo, lookup = task.solve(q)[0].split("\n")[:2]
    first = start + len(echo) + 1 + len(f"f({key})=")
    return list(range(first, start + len(echo) + 1 + len(lookup)))


def screen(student, questions, encoded) -> dict:
    alone = evaluate.evaluate(student, None, questions, relay=False)["accuracy"]
    ceiling = self_labels.ceilings(student, encoded, 0.0, MAX_CALLS)
    return {"alone": alone, "first_error_lines": dict(first_error_kinds(student, encoded).most_common()),
            "ceiling": ceiling,
            "ceiling_pgr": (ceiling["hidden"]["accuracy"] - alone) / (1 - alone) if alone < 1 else None,
            "first_errors": first_errors.measure(first_errors.decision_rows(student, encoded)),
            "value_confidence": value_confidence(student, questions, encoded)}


def main(argv=None) -> int:
    from .experiment import split_questions, student_on_split_cli
    args, student, encoded = student_on_split_cli(argv, __doc__)
    questions = split_questions(args.split)
    lookup = args.lookup
    out = {"student": args.student, "split": args.split,
           "lookup": None if lookup is None else f"{lookup.lo}:{lookup.hi}:{lookup.low}"}
    out.update(screen(student, questions, encoded))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
