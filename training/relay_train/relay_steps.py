"""The relay protocol for one sequence, one token at a time, as relay-core runs it when serving.

`rollout.rollout` applies these steps to every sequence of its batch (the models propose the
next student and teacher tokens); `scripted_relay` applies them to scripted outputs, which is how
tests/test_protocol_conformance.py runs relay-core's conformance cases. Token ids and limits come
from relay-core's export (`protocol.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .protocol import (DEFAULT_MAX_LLM_TOKENS_PER_CALL, DEFAULT_MAX_TURNS, DIGIT_VALUES, MAX_COMMAND_CONTENT_LENGTH,
                       MAX_COMMAND_DIGITS)
from .tokenizer import CALL, END_CALL, EOS, decode


@dataclass(frozen=True)
class RelayLimits:
    """A generation's limits as relay-core's RelayLimits has them: the response budget (`max_tokens`,
    the rollout's max_new_tokens), student turns, and the caps on n per call and on teacher tokens
    in all (None: nothing beyond the budget, the serving default)."""
    max_tokens: int
    max_turns: int = DEFAULT_MAX_TURNS
    max_llm_tokens_per_call: int = DEFAULT_MAX_LLM_TOKENS_PER_CALL
    max_llm_tokens_total: int | None = None


@dataclass
class Transcript:
    """One generation. `response` ends with the EOS that ended it, if one did (the student's has
    source 'S'; the teacher's 'T', and it counts in its call's `written` and in `rho`), where
    relay-core's usage counts no EOS."""
    prompt: list[int]
    response: list[int] = field(default_factory=list)   # student view (commands kept)
    source: list[str] = field(default_factory=list)     # 'S' student, 'C' student command, 'T' teacher
    calls: list[dict] = field(default_factory=list)
    finish: str = "length"
    malformed: int = 0                                  # malformed commands (never call, stripped)
    no_calls: int = 0                                   # well-formed commands that did not call (stripped)

    @property
    def teacher_tokens(self) -> int:
        return self.source.count("T")

    @property
    def rho(self) -> float:
        return self.teacher_tokens / max(1, len(self.response))

    @property
    def text(self) -> str:
        """LLM view of the response: commands removed."""
        return decode([t for t, s in zip(self.response, self.source) if s != "C"])


@dataclass
class RelaySequence:
    """One sequence's protocol state while it is generated."""
    tr: Transcript
    queue: list[int]                   # tokens to feed before sampling (prompt, forced commands)
    queue_src: list[str]
    forced: list[tuple[int, int]]      # (student-token index, n) for warm-up commands
    mode: str = "S"
    remaining: int = 0
    in_cmd: bool = False
    digits: str = ""
    content: int = 0
    non_digit: bool = False
    student_count: int = 0
    done: bool = False


def new_sequence(prompt: list[int], forced: list[tuple[int, int]]) -> RelaySequence:
    """A sequence whose prompt is fed first, as tokens no parser reads (source 'P')."""
    return RelaySequence(Transcript(list(prompt)), list(prompt), ["P"] * len(prompt), sorted(forced))


def budget_spent(s: RelaySequence, limits: RelayLimits) -> bool:
    """Finishes the sequence ('length') once the response budget is spent and nothing is queued."""
    if len(s.tr.response) < limits.max_tokens or s.queue:
        return False
    s.done, s.tr.finish = True, "length"
    s.tr.malformed += int(s.in_cmd)                  # unterminated
    return True


def take_token(s: RelaySequence, student_token, teacher_token, limits: RelayLimits) -> tuple[int, str]:
    """One step of one sequence: its next queued token (prompt, warm-up command), else the teacher's
    during a call, else the student's; a response token then advances the protocol state."""
    if s.queue:
        tok, src = s.queue.pop(0), s.queue_src.pop(0)
    elif s.mode == "T":
        tok, src = int(teacher_token), "T"
    else:
        tok = int(student_token)
        src = _student_source(s, tok)
    if src != "P":
        s.tr.response.append(tok)
        s.tr.source.append(src)
        _advance(s, tok, src, limits)
    return tok, src


def scripted_relay(prompt: list[int], slm_streams: list[list[int]], llm_streams: list[list[int]],
                   limits: RelayLimits) -> Transcript:
    """The rollout's protocol steps driven by scripted outputs instead of models (tests run
    relay-core's conformance cases through it). One student stream to start and one after each
    call, one teacher stream per call, each read from its start; past its end a stream writes EOS
    (a model writes a token at every step)."""
    s = new_sequence(prompt, [])
    s.queue.pop(0), s.queue_src.pop(0)      # rollout() feeds the first prompt token before its loop
    slm_read = 0
    while not s.done and not budget_spent(s, limits):
        calls = len(s.tr.calls)
        student = _script_token(slm_streams, calls, slm_read)
        teacher = _script_token(llm_streams, calls - 1, s.tr.calls[-1]["written"] if calls else 0)
        _, src = take_token(s, student, teacher, limits)
        slm_read = 0 if len(s.tr.calls) > calls else slm_read + int(src in ("S", "C"))
    return s.tr


def _script_token(streams: list[list[int]], index: int, position: int) -> int:
    stream = streams[index] if 0 <= index < len(streams) else []
    return stream[position] if position < len(stream) else EOS


def _student_source(s: RelaySequence, tok: int) -> str:
    """'C' for every token of a command span (valid or malformed), else 'S'.

    A token that overflows an open command (`too_long`) is read again as ordinary output."""
    if tok in (CALL, END_CALL):
        return "C"
    return "C" if s.in_cmd and s.content < MAX_COMMAND_CONTENT_LENGTH else "S"


def _open(s: RelaySequence) -> None:
    s.in_cmd, s.digits, s.content, s.non_digit = True, "", 0, False


def _granted(s: RelaySequence, requested: int, limits: RelayLimits) -> int:
    """relay-core's grant rule (call-decision.ts): min(requested, per-call cap, remaining budget,
    remaining teacher total); 0 is no call, and so is every command after max_turns - 1 calls."""
    if requested <= 0 or len(s.tr.calls) >= limits.max_turns - 1:
        return 0
    total = limits.max_tokens if limits.max_llm_tokens_total is None else limits.max_llm_tokens_total
    written = sum(c["written"] for c in s.tr.calls)
    budget_left = limits.max_tokens - len(s.tr.response)
    return max(0, min(requested, limits.max_llm_tokens_per_call, budget_left, total - written))


def _advance(s: RelaySequence, tok: int, src: str, limits: RelayLimits) -> None:
    """Protocol state after one response token."""
    if src == "T":
        s.remaining -= 1
        s.tr.calls[-1]["written"] += 1
        if tok == EOS:
            s.done, s.tr.finish = True, "llm_eos"
        elif s.remaining == 0:
            s.mode = "S"
        return
    s.student_count += 1
    if s.in_cmd and tok not in (CALL, END_CALL) and s.content >= MAX_COMMAND_CONTENT_LENGTH:
        s.in_cmd = False            # too_long: this token is ordinary output again
        s.tr.malformed += 1
    if tok == EOS:
        s.done, s.tr.finish = True, "eos"
        s.tr.malformed += int(s.in_cmd)                          # unterminated
    elif tok == CALL:
        if s.in_cmd:
            s.tr.malformed += 1   # nested
        _open(s)
    elif tok == END_CALL:
        if not s.in_cmd:
            s.tr.malformed += 1   # stray close
            return
        s.in_cmd = False
        if s.content == 0 or s.non_digit or len(s.digits) > MAX_COMMAND_DIGITS:
            s.tr.malformed += 1
            return
        requested = int(s.digits)
        granted = _granted(s, requested, limits)
        if granted == 0:
            s.tr.no_calls += 1       # n = 0, out of turns or nothing left to grant: stripped, no call
            return
        s.tr.calls.append({"offset": len(s.tr.response), "requested": requested, "granted": granted, "written": 0})
        s.mode, s.remaining = "T", granted
    elif s.in_cmd:
        s.content += 1
        if tok in DIGIT_VALUES:
            s.digits += str(DIGIT_VALUES[tok])
        else:
            s.non_digit = True
