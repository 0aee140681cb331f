"""Counterfactual call credit: each call of a correct rollout is judged by what blocking it changes.

A sequence-level reward gives every token of a rollout the same advantage, so it cannot tell a
needed call from a wasted one inside one rollout: a correct answer that called twice, once in
vain, rewards both commands alike. Here every call of a correct rollout is replayed blocked: the
rollout's own tokens up to that command are fed again through the relay protocol (the same earlier
calls, the same teacher tokens), then the student goes on greedily with `<call>` banned until it has
written as many tokens itself as the teacher wrote in that call (the span the call handed over);
after that it may call again, as the policy would. Greedy, because the relay is served and
selected on dev greedily and because one greedy replay per call gives a verdict free of sampling
noise; the teacher runs as in the rollout.

- blocked and still correct: the call was wasted; its command tokens get -`waste_penalty`;
- blocked and wrong: the call was needed; its command tokens get the rollout's advantage plus
  `need_bonus`.
Every other token keeps the rollout's group-relative advantage; teacher tokens stay out of the loss
(the loss mask is not touched here). Wrong rollouts are not replayed: their calls did not save the
answer, and the group advantage already counts against them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .relay_steps import Transcript
from .rollout import rollout
from .tokenizer import CALL


@dataclass(frozen=True)
class BlockedCall:
    """Call `call` of rollout `rollout`: its command tokens are response[start:end]; blocked, the
    student must write `ban_until` student tokens (counted from the answer's start) before it may
    call again."""
    rollout: int
    call: int
    start: int
    end: int
    ban_until: int


def command_span(tr: Transcript, call: dict) -> tuple[int, int]:
    """[start, end) of the command that made `call`: its `<call>` up to its `</call>` (offset - 1)."""
    end = call["offset"]
    start = end - 2
    while start > 0 and not (tr.response[start] == CALL and tr.source[start] == "C"):
        start -= 1
    return start, end


def calls_to_block(trs: list[Transcript], correct: list[bool]) -> list[BlockedCall]:
    """One BlockedCall per call of each correct rollout."""
    out = []
    for i, (tr, ok) in enumerate(zip(trs, correct)):
        if not ok:
            continue
        for j, call in enumerate(tr.calls):
            start, end = command_span(tr, call)
            student_before = sum(s != "T" for s in tr.source[:start])
            out.append(BlockedCall(i, j, start, end, student_before + call["written"]))
    return out


def replay_blocked(student, teacher, trs: list[Transcript], blocked: list[BlockedCall], *, max_new_tokens: int,
                   max_turns: int, batch_size: int = 256) -> list[Transcript]:
    """Each blocked call's rollout replayed up to its command, then continued greedily without it."""
    out = []
    for k in range(0, len(blocked), batch_size):
        chunk = blocked[k:k + batch_size]
        out += rollout(student, teacher, [trs[b.rollout].prompt for b in chunk], max_new_tokens=max_new_tokens,
                       relay=True, max_turns=max_turns,
                       prefixes=[(trs[b.rollout].response[:b.start], trs[b.rollout].source[:b.start]) for b in chunk],
                       call_ban_until=[b.ban_until for b in chunk])
    return out


def token_advantages(trs: list[Transcript], seq_adv: list[float], blocked: list[BlockedCall],
                     still_correct: list[bool], waste_penalty: float, need_bonus: float) -> list[list[float]]:
    """Per response token: the rollout's advantage, except on the command tokens of each blocked
    call (-waste_penalty where blocking left the answer correct, advantage + need_bonus where not)."""
    adv = [[a] * len(tr.response) for tr, a in zip(trs, seq_adv)]
    for b, ok in zip(blocked, still_correct):
        value = -waste_penalty if ok else seq_adv[b.rollout] + need_bonus
        adv[b.rollout][b.start:b.end] = [value] * (b.end - b.start)
    return adv


def counterfactual_advantages(student, teacher, trs, correct, seq_adv, cfg: dict, is_correct) -> tuple[list, dict]:
    """Token advantages for one step's rollouts and the counts of wasted and needed calls.
    `is_correct(rollout index, transcript)` grades a replay against that rollout's question."""
    blocked = calls_to_block(trs, correct)
    replays = replay_blocked(student, teacher, trs, blocked, max_new_tokens=cfg["max_new_tokens"],
                             max_turns=cfg["max_turns"]) if blocked else []
    still = [is_correct(b.rollout, r) for b, r in zip(blocked, replays)]
    adv = token_advantages(trs, seq_adv, blocked, still, cfg["call_waste_penalty"], cfg["call_need_bonus"])
    return adv, {"wasted": sum(still), "needed": len(still) - sum(still)}
