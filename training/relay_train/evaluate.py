"""Greedy evaluation on a split: accuracy per operand count, rho, calls per answer."""
from __future__ import annotations

from . import task
from .protocol import DEFAULT_MAX_TURNS
from .rollout import rollout
from .tokenizer import BOS, encode


def prompt_ids(q: task.Question) -> list[int]:
    return [BOS] + encode(task.prompt_text(q.text))


def evaluate(student, teacher, questions: list[task.Question], *, relay: bool, max_new_tokens: int = 256,
             max_turns: int = DEFAULT_MAX_TURNS, batch_size: int = 256, call_bias: float = 0.0) -> dict:
    """`teacher=None, relay=False` evaluates `student` alone; relay=True lets it call the teacher
    (`call_bias` added to its `<call>` logit, as the serving knob adds it)."""
    return summarize(graded_rollouts(student, teacher, questions, relay=relay, max_new_tokens=max_new_tokens,
                                     max_turns=max_turns, batch_size=batch_size, call_bias=call_bias))


def graded_rollouts(student, teacher, questions: list[task.Question], *, relay: bool, max_new_tokens: int = 256,
                    max_turns: int = DEFAULT_MAX_TURNS, batch_size: int = 256, call_bias: float = 0.0) -> list[tuple]:
    """The greedy transcripts `evaluate` summarizes, one (operand count, correct, transcript) per question."""
    rows = []
    for i in range(0, len(questions), batch_size):
        chunk = questions[i:i + batch_size]
        trs = rollout(student, teacher, [prompt_ids(q) for q in chunk], max_new_tokens=max_new_tokens,
                      relay=relay, max_turns=max_turns, call_bias=call_bias)
        for q, tr in zip(chunk, trs):
            rows.append((q.n_operands, task.is_correct(tr.text, task.solve(q)[1]), tr))
    return rows


def summarize(rows) -> dict:
    out = {"n": len(rows), "accuracy": sum(c for _, c, _ in rows) / max(1, len(rows))}
    for k in (2, 3, 4):
        sub = [c for n, c, _ in rows if n == k]
        out[f"accuracy_{k}"] = sum(sub) / max(1, len(sub))
    teacher = sum(tr.teacher_tokens for _, _, tr in rows)
    total = sum(len(tr.response) for _, _, tr in rows)
    out["rho"] = teacher / max(1, total)
    out["calls_per_answer"] = sum(len(tr.calls) for _, _, tr in rows) / max(1, len(rows))
    out["response_tokens"] = total
    return out
