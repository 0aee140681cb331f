"""Commands placed where a student, reading its own commands as serving makes it, would go wrong.

The warm-up's error labels (warmup.ReferencePlacer, "number_tail_error") come from the frozen SFT
student reading the command-free reference prefix. Serving keeps every command in the student's
context, and a student trained on commands errs elsewhere than the SFT student did. `place` labels a
reference answer from the point of view of `student` itself: teacher-forced on the reference with the
commands placed so far in its context, the first digit it would not write (its argmax over the
non-command tokens is another token, or that token's probability, renormalised without the command
tokens, is below `threshold`) gets a command before it asking for the rest of its number; then the scan
goes on from the end of that call, until no such digit is left or `max_calls` are placed. A student that
calls exactly there, relaying to a teacher that writes the reference, writes the reference answer under
greedy decoding; an argmax error that no command can cover (not in a number, or past `max_calls`)
leaves the answer `clean` False. With `in_context` False the student reads the command-free prefix
instead (what `hide_commands` shows it; the protocol does not), for comparison. `silent` commands
(`with_silent_calls`: before random digits, no loss on their tokens) are in the answer before the
labelling starts, so that the student learns to read a command where it was not taught to write one
(serving keeps every command in its context, and each one shifts the distances it computes by).

    python3 -m relay_train.self_labels --student PATH.gguf [--threshold 0] [--split dev]

prints what following the labels would score: the ceiling of any call placement for that student.
"""
from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass

import torch

from . import sft, task
from .rollout import command_tokens
from .tokenizer import CALL, END_CALL, VOCAB_SIZE


@dataclass
class Labelled:
    tokens: list[int]          # prompt + answer, commands spliced in
    mask: list[float]          # SFT targets: answer and command tokens, teacher spans at teacher_loss
    calls: list[tuple[int, int]]   # (reference index the command precedes, n)
    clean: bool                # following the labels reproduces the reference answer
    answer_tokens: int         # response tokens: the answer's and the commands'
    teacher_tokens: int


def splice(toks: list[int], start: int, calls: list[tuple[int, int]], teacher_loss: float = 1.0,
           silent: frozenset = frozenset()):
    """The answer with `<call>n</call>` before reference index t for each (t, n), the n tokens after
    it the teacher's turn; returns tokens, mask and each reference token's index in them. A command
    before an index in `silent` is context only (mask 0): the student reads it, is not taught to write it."""
    out, mask, at = list(toks[:start]), [0.0] * start, list(range(start))
    t, cuts = start, dict(calls)
    while t < len(toks):
        n = cuts.get(t, 0)
        if n > 0:
            cmd = command_tokens(n)
            out += cmd
            mask += [0.0 if t in silent else 1.0] * len(cmd)
            span = range(t, min(t + n, len(toks)))
            at += [len(out) + k for k in range(len(span))]
            out += [toks[k] for k in span]
            mask += [teacher_loss] * len(span)
            t += len(span)
        else:
            at.append(len(out))
            out.append(toks[t])
            mask.append(1.0)
            t += 1
    return out, mask, at


def _scan(read: "Reading", toks: list[int], at: list[int], resume: int, threshold: float,
          teachers: set = frozenset()):
    """From reference index `resume`: (the first digit needing a command or None, whether an argmax
    error no command can cover came before it). Indices in `teachers` are a silent command's teacher turn."""
    uncovered = False
    for t in range(resume, len(toks)):
        if t in teachers:
            continue
        wrong = read.top[at[t] - 1] != toks[t]
        if wrong or read.p_next[at[t] - 1] < threshold:
            if task.number_length(toks, t) > 0:
                return t, uncovered
            uncovered = uncovered or wrong
    return None, uncovered


@torch.no_grad()
def place(student, encoded: list[tuple[list[int], int]], threshold: float, max_calls: int,
          teacher_loss: float = 1.0, in_context: bool = True, silent: list | None = None) -> list[Labelled]:
    """Label each (reference tokens, answer start) as the module docstring says; one forward pass of
    the still-open answers per command placed (one in all without `in_context`). `silent[i]` are
    context-only commands (t, n) already in answer i (see `splice`): the labels are placed with them
    in the student's context, never inside their teacher's turns, and they do not count to `max_calls`."""
    silent = silent if silent is not None else [[] for _ in encoded]
    covered = [{k for t, n in sil for k in range(t, t + n)} for sil in silent]
    calls = [[] for _ in encoded]
    resume = [start for _, start in encoded]
    clean = [True] * len(encoded)
    open_ = list(range(len(encoded)))
    plain = read_batch(student, [toks for toks, _ in encoded]) if not in_context else None
    while open_:
        views = {i: splice(encoded[i][0], encoded[i][1], sorted(calls[i] + silent[i])) for i in open_}
        reads = read_batch(student, [views[i][0] for i in open_]) if in_context else None
        still = []
        for row, i in enumerate(open_):
            toks = encoded[i][0]
            p, at = (reads[row], views[i][2]) if in_context else (plain[i], list(range(len(toks))))
            t, uncovered = _scan(p, toks, at, resume[i], threshold, covered[i])
            clean[i] = clean[i] and not uncovered
            if t is None:
                continue
            if len(calls[i]) == max_calls:
                clean[i] = clean[i] and not _argmax_error_after(p, toks, at, t)
                continue
            n = task.number_length(toks, t)
            calls[i].append((t, n))
            resume[i] = t + n
            still.append(i)
        open_ = still
    return [_labelled(toks, start, c, ok, teacher_loss, sil) for (toks, start), c, ok, sil in zip(encoded, calls, clean, silent)]


def _argmax_error_after(read: "Reading", toks, at, t0: int) -> bool:
    return any(read.top[at[t] - 1] != toks[t] for t in range(t0, len(toks)))


@dataclass
class Reading:
    """One sequence as the student reads it, position by position: the token it would write next
    (argmax of `non_command_probs`) and the probability it gives the token that comes next."""
    top: list[int]
    p_next: list[float]


def read_batch(student, seqs: list[list[int]]) -> list[Reading]:
    """Each sequence's `Reading`, from one padded forward pass. Taken for the whole batch at once
    and handed to the scans as plain lists: indexing the probability tensor token by token in
    Python cost as much as the forward pass itself. The values are those of the tensor, so the labels
    are the same."""
    tokens, _ = sft.pad_batch(seqs, [[0.0] for _ in seqs])
    probs = non_command_probs(student(tokens).float())
    top = probs.argmax(-1).tolist()
    p_next = probs[:, :-1].gather(-1, tokens[:, 1:].unsqueeze(-1)).squeeze(-1).tolist()
    return [Reading(t, p) for t, p in zip(top, p_next)]


def non_command_probs(logits: torch.Tensor) -> torch.Tensor:
    """What the student would write were it not to call: softmax with the command tokens removed."""
    return torch.softmax(logits.masked_fill(_COMMAND_MASK, float("-inf")), -1)


_COMMAND_MASK = torch.zeros(VOCAB_SIZE, dtype=torch.bool)
_COMMAND_MASK[[CALL, END_CALL]] = True


def with_silent_calls(rng, toks: list[int], start: int, count: int, at_least: int = 0) -> list[tuple[int, int]]:
    """`at_least`..`count` commands (t, n) before random digits of the answer, none inside another's turn
    (so fewer may come out), each asking for the rest of its number, as a student calling where it was
    not labelled to would."""
    free = [t for t in range(start, len(toks)) if task.number_length(toks, t) > 0]
    extra, end = [], -1
    for t in sorted(rng.sample(free, min(rng.randint(at_least, count), len(free)))):
        if t >= end:
            extra.append((t, task.number_length(toks, t)))
            end = t + task.number_length(toks, t)
    return extra


def context_command_examples(sft_cfg: dict, seed: int):
    """SFT examples (q -> tokens, loss mask) for `sft.bucketed_batches`: with probability
    `context_commands_share` a reference answer carries 1..`context_commands_max` context-only commands
    before random digits (as `with_silent_calls` places them; the teacher's turn after each is the
    reference text, kept as a target), else it is plain (`sft.answer_example`). Why: each command
    shifts the distances the 2-layer student computes by; a student that never saw one computes by
    fixed distances and breaks after its own commands in serving (the training README, measured on
    2026-12-05, third session). None at share 0: the plain stream, unchanged."""
    share, most = sft_cfg["context_commands_share"], sft_cfg["context_commands_max"]
    if share == 0:
        return None
    rng = random.Random(seed)

    def example(q: task.Question) -> tuple[list[int], list[float]]:
        if rng.random() >= share:
            return sft.answer_example(q)
        toks, start = sft.encode_example(q)
        calls = with_silent_calls(rng, toks, start, most, at_least=1)
        out, mask, _ = splice(toks, start, calls, 1.0, frozenset(t for t, _ in calls))
        return out, mask
    return example


def _labelled(toks, start, calls, clean, teacher_loss, silent=()) -> Labelled:
    out, mask, _ = splice(toks, start, sorted(calls + list(silent)), teacher_loss, frozenset(t for t, _ in silent))
    teacher = sum(min(n, len(toks) - t) for t, n in list(calls) + list(silent))
    return Labelled(out, mask, calls, clean, len(out) - start - teacher, teacher)


def summarize(labels: list[Labelled]) -> dict:
    answer = sum(lab.answer_tokens for lab in labels)
    teacher = sum(lab.teacher_tokens for lab in labels)
    return {"n": len(labels), "accuracy": sum(lab.clean for lab in labels) / len(labels),
            "rho": teacher / (answer + teacher), "calls_per_answer": sum(len(lab.calls) for lab in labels) / len(labels)}


def ceilings(student, encoded: list[tuple[list[int], int]], threshold: float, max_calls: int) -> dict:
    """`summarize` of `place` over every answer (100 at a time), with the commands in the student's
    context ("in_context") and hidden ("hidden")."""
    return {view: summarize([lab for i in range(0, len(encoded), 100) for lab in place(
        student, encoded[i:i + 100], threshold, max_calls, in_context=view == "in_context")])
        for view in ("in_context", "hidden")}


def main(argv=None) -> int:
    from .experiment import student_on_split_cli

    def extra_args(ap):
        ap.add_argument("--threshold", type=float, default=0.0)
        ap.add_argument("--max-calls", type=int, default=4)
    args, student, encoded = student_on_split_cli(argv, __doc__, extra_args)
    out = {"student": args.student, "split": args.split, "threshold": args.threshold, "max_calls": args.max_calls}
    out.update(ceilings(student, encoded, args.threshold, args.max_calls))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
