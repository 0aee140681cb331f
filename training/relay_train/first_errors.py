"""How well a student's own `<call>` points at its first greedy error, against its confidence.

Teacher-forced on the command-free reference answer, every answer token up to and including the
student's first argmax error (over the non-command tokens) is a decision the greedy relay faces
before anything has derailed it; the first error is the one a call must come before. Two scores
rank those positions: the student's log-odds of writing `<call>` there, and 1 − p_max (its top
probability without the command tokens, what the uncertainty trigger reads). `measure` gives each
score's AUC for the first errors and, flagging the top `rate` of positions by each score, how many
first errors each flags. This separates the call decision from reading commands: a command in
context moves nothing before the first call, so the figures do not depend on how well the student
reads them.

    python3 -m relay_train.first_errors --student PATH.gguf [--split test]
"""
from __future__ import annotations

import json
import sys

import torch

from . import self_labels, sft
from .tokenizer import CALL

RATES = (0.005, 0.01, 0.02, 0.04)


@torch.no_grad()
def decision_rows(student, encoded: list[tuple[list[int], int]], batch: int = 100) -> list[tuple[float, float, bool]]:
    """(call log-odds, 1 − p_max, is the first error) for each answer position up to the first error."""
    rows = []
    for i in range(0, len(encoded), batch):
        chunk = encoded[i:i + batch]
        tokens, _ = sft.pad_batch([toks for toks, _ in chunk], [[0.0] for _ in chunk])
        logits = student(tokens).float()
        log_p = torch.log_softmax(logits, -1)
        call_logodds = log_p[..., CALL] - torch.log1p(-log_p[..., CALL].exp().clamp(max=1 - 1e-7))
        p_other = self_labels.non_command_probs(logits)
        for b, (toks, start) in enumerate(chunk):
            for t in range(start, len(toks)):
                row = p_other[b, t - 1]
                wrong = int(row.argmax()) != toks[t]
                rows.append((float(call_logodds[b, t - 1]), 1.0 - float(row.max()), wrong))
                if wrong:
                    break
    return rows


def auc(scores: list[float], labels: list[bool]) -> float:
    """P(a positive outranks a negative), ties counted half (Mann-Whitney)."""
    order = sorted(range(len(scores)), key=lambda k: scores[k])
    ranks, i = [0.0] * len(scores), 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            j += 1
        for k in order[i:j]:
            ranks[k] = (i + j + 1) / 2
        i = j
    pos = sum(labels)
    neg = len(labels) - pos
    rank_sum = sum(r for r, lab in zip(ranks, labels) if lab)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def flagged_errors(rows, score: int, rate: float) -> int:
    """First errors among the top `rate` of positions by rows[.][score]."""
    top = sorted(rows, key=lambda r: -r[score])[:int(rate * len(rows))]
    return sum(r[2] for r in top)


def measure(rows) -> dict:
    labels = [r[2] for r in rows]
    return {"positions": len(rows), "first_errors": sum(labels),
            "auc": {"call": auc([r[0] for r in rows], labels), "confidence": auc([r[1] for r in rows], labels)},
            "flagged": {f"{rate:g}": {"call": flagged_errors(rows, 0, rate), "confidence": flagged_errors(rows, 1, rate)}
                        for rate in RATES}}


def main(argv=None) -> int:
    from .experiment import student_on_split_cli
    args, student, encoded = student_on_split_cli(argv, __doc__)
    out = {"student": args.student, "split": args.split}
    out.update(measure(decision_rows(student, encoded)))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
