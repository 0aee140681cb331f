"""Where a relaying student's teacher tokens go, and so how far fewer calls could cut rho at equal accuracy.

The student relays greedily on a split, as served. Its teacher tokens fall in three parts:
  - in answers that end wrong anyway: no call decision that keeps accuracy needs them;
  - in calls of right answers that are unneeded alone: each call replayed blocked
    (`call_credit.replay_blocked`, the student going on greedily without it) still ends right;
  - the rest: calls a right answer needs.
The first two together bound what any call policy of this student can save without losing an
answer (a bound of single blocks: two unneeded calls may be needed together). GRPO's call
decisions can only reach them by telling, at the moment of a call, an answer that ends wrong
from one that ends right.

It also says where the answers that end wrong leave the reference answer (`where_wrong`): the first
character of the text (commands removed) that differs from it, by who wrote it and by how many student
tokens had passed since the teacher's last token: none was there (no call before the error: a call
decision missed it), or 0-2, 3-9, 10 or more tokens after a call; and whether the first ones are the
rest of a number the teacher began (a call that asked for too few tokens). For the first kind,
`missed_call_odds` reads how near the student came to calling at that digit.

    python3 -m relay_train.teacher_spend --student PATH.gguf [--split test] [--teacher PATH.gguf]
"""
from __future__ import annotations

import json
import statistics
import sys

import torch

from . import call_credit, task
from .evaluate import graded_rollouts
from .protocol import DEFAULT_MAX_TURNS
from .relay_steps import Transcript
from .rollout import decision_logit
from .tokenizer import decode

MAX_NEW_TOKENS = 256   # the serving default and `evaluate`'s


def spend(trs: list[Transcript], correct: list[bool], blocked: list[call_credit.BlockedCall],
          still_correct: list[bool]) -> dict:
    """The split's teacher tokens by part (see the module doc). `blocked` are the calls of the right
    answers (`call_credit.calls_to_block`), `still_correct` whether each, blocked alone, still ends right."""
    teacher = sum(tr.teacher_tokens for tr in trs)
    in_wrong = sum(tr.teacher_tokens for tr, ok in zip(trs, correct) if not ok)
    unneeded = [b for b, ok in zip(blocked, still_correct) if ok]
    unneeded_tokens = sum(trs[b.rollout].calls[b.call]["written"] for b in unneeded)
    return {"answers": len(trs), "correct": sum(correct), "response_tokens": sum(len(tr.response) for tr in trs),
            "teacher_tokens": teacher, "in_wrong_answers": in_wrong,
            "calls_in_right_answers": len(blocked), "unneeded_alone": len(unneeded),
            "unneeded_alone_tokens": unneeded_tokens,
            "bound_share": (in_wrong + unneeded_tokens) / max(1, teacher)}


def first_departure(tr: Transcript, reference: str) -> tuple[str, int] | None:
    """(the `where_wrong` bucket, the index in `tr.response` of the token that first leaves
    `reference`), or None where its text never leaves it."""
    chars, since = [], None     # (char, source, student tokens since the teacher's last token, response index)
    for i, (tok, src) in enumerate(zip(tr.response, tr.source)):
        if src == "C":
            continue
        since = 0 if src == "T" else since
        chars += [(ch, src, since, i) for ch in decode([tok])]
        since = since + 1 if src == "S" and since is not None else since
    k = next((i for i, c in enumerate(chars) if i >= len(reference) or c[0] != reference[i]), None)
    if k is None:
        return None
    _, src, since, index = chars[k]
    if src == "T":
        return "teacher", index
    if since is None:
        return "no call before", index
    if since >= 3:
        return ("3-9 after a call" if since < 10 else "10+ after a call"), index
    prev = chars[k - 1]
    rest_of_number = prev[1] == "T" and prev[0].isdigit() and reference[k:k + 1].isdigit()
    return ("0-2 after a call, the teacher's number" if rest_of_number else "0-2 after a call"), index


def where_wrong(trs: list[Transcript], correct: list[bool], references: list[str]) -> dict:
    """The answers that end wrong by where they first leave their reference answer (see the module doc)."""
    out: dict[str, int] = {}
    for tr, ok, ref in zip(trs, correct, references):
        if not ok:
            bucket = (first_departure(tr, ref) or ("never leaves the reference", 0))[0]
            out[bucket] = out.get(bucket, 0) + 1
    return out


def missed_call_odds(student, trs: list[Transcript], correct: list[bool], references: list[str]) -> dict:
    """At each wrong digit that no call preceded, the student's call log-odds there (`<call>` against the
    top other token, `rollout.decision_logit`): how near it came to calling. Its context is its own
    transcript up to that digit."""
    odds = []
    for tr, ok, ref in zip(trs, correct, references):
        where = None if ok else first_departure(tr, ref)
        if where is not None and where[0] == "no call before":
            with torch.no_grad():
                logits = student(torch.tensor([tr.prompt + tr.response[:where[1]]]))[0, -1]
            odds.append(float(decision_logit(logits, 1.0)[0]))
    return {"n": len(odds), "median": statistics.median(odds) if odds else None,
            "within_1": sum(o > -1 for o in odds), "within_2": sum(o > -2 for o in odds),
            "below_4": sum(o <= -4 for o in odds)}


def measure(student, teacher, questions: list[task.Question]) -> dict:
    rows = graded_rollouts(student, teacher, questions, relay=True, max_new_tokens=MAX_NEW_TOKENS)
    trs, correct = [tr for _, _, tr in rows], [ok for _, ok, _ in rows]
    solutions = [task.solve(q) for q in questions]
    blocked = call_credit.calls_to_block(trs, correct)
    replays = call_credit.replay_blocked(student, teacher, trs, blocked, max_new_tokens=MAX_NEW_TOKENS,
                                         max_turns=DEFAULT_MAX_TURNS) if blocked else []
    still = [task.is_correct(r.text, solutions[b.rollout][1]) for b, r in zip(blocked, replays)]
    references = [text for text, _, _ in solutions]
    return spend(trs, correct, blocked, still) | {"where_wrong": where_wrong(trs, correct, references),
                                                   "missed_call_log_odds": missed_call_odds(student, trs, correct, references)}


def main(argv=None) -> int:
    from .experiment import split_questions, student_on_split_cli, teacher_arg
    from .gguf_read import load_llama
    args, student, _ = student_on_split_cli(argv, __doc__, extra_args=teacher_arg)
    out = {"student": args.student, "split": args.split}
    out.update(measure(student, load_llama(args.teacher).eval(), split_questions(args.split)))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
