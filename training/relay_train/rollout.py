"""Batched relay rollouts in PyTorch, following the serving protocol exactly.

The student's context keeps its commands; the teacher sees the text with every
command removed and writes n tokens; teacher end-of-sequence ends the answer;
at most `max_turns` student turns; n is granted as relay-core grants it (capped per call
and by the remaining budget); `<call>0</call>` is no call. The student samples from its full
distribution, as the serving engines do, and its output is parsed by the same rules as
relay-core's TokenCommandParser (libs/relay-core/src/protocol/command-rules.ts): a command is
`<call>` + 1..MAX_COMMAND_DIGITS digits + `</call>`; anything else that opens with `<call>`, and
a stray `</call>`, is malformed: it never calls and is stripped from the teacher's view.
Commands after `max_turns - 1` calls are stripped without a call. Those per-token steps live in
`relay_steps.py`, where tests/test_protocol_conformance.py runs relay-core's conformance cases
through them.

Every sequence advances one token per step; both models see each step's token
(the teacher only when it belongs to its view), so no model ever re-reads a prefix.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .protocol import DEFAULT_MAX_TURNS, DIGIT_IDS
from .relay_steps import RelayLimits, Transcript, budget_spent, new_sequence, take_token
from .tokenizer import BOS, CALL, END_CALL, VOCAB_SIZE


def _sample(logits, temperature: float, gen):
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=gen)[:, 0]


@dataclass
class CallPlacement:
    """Warm-up commands placed while the student samples (instead of at fixed indices).

    Before each student token, a command is inserted with probability
    min(1, scale * (1 - p_max)), p_max being the student's top next-token probability,
    until `max_calls` are placed. So positions stay random, but weighted towards the
    tokens the student is unsure of. n = draw_n(...) (d in 1..9, k = 0 with probability
    `short_share`), clipped to what is left of the reference answer (`ref_lens`)."""
    scale: float
    max_calls: int
    short_share: float
    ref_lens: list[int]
    seed: int = 0
    digit_decay: float = 1.0


def command_tokens(n: int) -> list[int]:
    """The token ids of the command `<call>n</call>`, as the student writes it."""
    return [CALL] + [DIGIT_IDS[int(d)] for d in str(n)] + [END_CALL]


def draw_n(rng: random.Random, short_share: float, digit_decay: float = 1.0) -> int:
    """A warm-up command's n = d*10^k: k = 0 with probability `short_share`, d in 1..9 with
    P(d) proportional to digit_decay^(d-1) (1.0: uniform, the paper's draw)."""
    if digit_decay == 1.0:
        d = rng.randint(1, 9)
    else:
        d = rng.choices(range(1, 10), weights=[digit_decay ** i for i in range(9)])[0]
    return d * (1 if rng.random() < short_share else 10)


@torch.no_grad()
def rollout(student, teacher, prompts: list[list[int]], *, max_new_tokens: int, temperature: float = 0.0,
            teacher_temperature: float = 0.0, relay: bool = True, max_turns: int = DEFAULT_MAX_TURNS,
            student_may_call: bool = True, forced_calls: list[list[tuple[int, int]]] | None = None,
            placement: CallPlacement | None = None, hide_commands: bool = False, seed: int = 0,
            prefixes: list[tuple[list[int], list[str]]] | None = None,
            call_ban_until: list[int] | None = None, call_bias: float = 0.0,
            decisions_only: bool = False, explore_floor: "ExploreFloor | None" = None) -> list[Transcript]:
    """Run `student` (relaying to `teacher` when `relay`) on each prompt; returns transcripts.

    `prefixes` (response tokens, their sources) replays the start of earlier transcripts through the
    protocol before anything is sampled (counterfactual call credit); `call_ban_until` bans each
    sequence's `<call>` and `</call>` while it has written fewer student tokens than that;
    `forced_calls` inserts commands at given student-token indices (warm-up data);
    `placement` inserts them where the student is unsure (warm-up data, see CallPlacement);
    `student_may_call=False` bans the student's own `<call>` (calls blocked); `call_bias` is added
    to the student's `<call>` logit, as the serving knob of that name adds it; `decisions_only`
    samples nothing but the call decision (GRPO's "decisions" exploration, see `decide`), drawn
    from `explore_floor`'s floored odds where it applies;
    `hide_commands` keeps command spans out of the student's own context too (warm-up
    data only: the transcript still holds them; GRPO and evaluation keep them, as serving does)."""
    gen = torch.Generator().manual_seed(seed)
    place_rng = random.Random(placement.seed) if placement else None
    placed = [0] * len(prompts)
    b = len(prompts)
    limits = RelayLimits(max_new_tokens, max_turns)
    seqs, cur = _new_sequences(prompts, forced_calls, prefixes)
    length = max(len(p) for p in prompts) + max_new_tokens + 8
    s_cache = student.new_cache(b, length)
    t_cache = teacher.new_cache(b, length) if teacher is not None else None
    s_pos = torch.zeros(b, dtype=torch.long)
    t_pos = torch.zeros(b, dtype=torch.long)
    t_logits = torch.zeros(b, VOCAB_SIZE)
    s_last = torch.zeros(b, VOCAB_SIZE)
    cur_src = ["P"] * b
    ban_teacher = torch.zeros(VOCAB_SIZE, dtype=torch.bool)
    ban_teacher[[BOS, CALL, END_CALL]] = True
    student_banned = not relay or not student_may_call
    for _ in range(length):
        active = [i for i, s in enumerate(seqs) if not s.done]
        if not active:
            break
        command_free = torch.tensor([c != "C" for c in cur_src])
        if hide_commands:   # the student reads what the teacher reads: its command spans are skipped
            s_logits = _step_view(student, cur, s_pos, s_cache, s_last, command_free)
        else:
            s_logits = student.step(cur, s_pos, s_cache)
            s_pos += 1
        if teacher is not None:
            _step_view(teacher, cur, t_pos, t_cache, t_logits, command_free)
        s_logits = _ban_student_calls(_with_call_bias(s_logits, call_bias), seqs, student_banned, call_ban_until)
        if decisions_only:
            s_next = decide(s_logits, torch.tensor([s.in_cmd for s in seqs]), temperature, gen, explore_floor)
        else:
            s_next = _sample(s_logits, temperature, gen)
        p_max = torch.softmax(s_logits, -1).max(-1).values if placement else None
        t_next = (_sample(t_logits.masked_fill(ban_teacher, float("-inf")), teacher_temperature, gen)
                  if teacher is not None else s_next)
        nxt, nxt_src = cur.clone(), list(cur_src)
        for i in active:
            s = seqs[i]
            if budget_spent(s, limits):
                continue
            _queue_warmup_command(s, i, placement, place_rng, placed, p_max)
            nxt[i], nxt_src[i] = take_token(s, s_next[i], t_next[i], limits)
        cur, cur_src = nxt, nxt_src
    return [s.tr for s in seqs]


def decision_logit(logits, temperature: float):
    """(<call> logit - the top other logit) / temperature: the log-odds of calling in
    `decide`'s two-way choice, and the top other token. The top logit is a constant here (no
    gradient), so that training the decision moves `<call>` and never pushes the digit the
    student would write down or up."""
    others = logits.detach().clone()
    others[..., CALL] = float("-inf")
    top, top_id = others.max(-1)
    return (logits[..., CALL] - top) / temperature, top_id


@dataclass(frozen=True)
class ExploreFloor:
    """Exploration beyond the policy's odds, for GRPO's "decisions" exploration. Drawn at the policy's
    own odds, a decision the student is sure of is never tried the other way: a call where the warm-up
    never placed one, or no call where it always does. At each decision where the top token other
    than `<call>` has probability below `below` (softmax of the raw logits with `<call>` left out: how
    sure the student is of what it would write instead), P(call) is drawn clamped to
    [`floor`, 1 - `floor`]; elsewhere at the policy's odds. floor 0: the policy's odds everywhere."""
    floor: float
    below: float


def call_odds(logits, temperature: float, explore_floor: ExploreFloor | None = None):
    """(P(call) under the policy, P(call) as drawn, the top other token) for each row: the draw's
    odds are the policy's except where `explore_floor` applies. Only the policy's carries a gradient."""
    d, top_id = decision_logit(logits, temperature)
    policy = torch.sigmoid(d)
    if explore_floor is None or explore_floor.floor == 0.0:
        return policy, policy.detach(), top_id
    raw = logits.detach().clone()
    raw[..., CALL] = float("-inf")
    unsure = torch.softmax(raw, -1).max(-1).values < explore_floor.below
    callable_ = torch.isfinite(logits.detach()[..., CALL])     # a banned call stays banned
    floored = policy.detach().clamp(explore_floor.floor, 1.0 - explore_floor.floor)
    return policy, torch.where(unsure & callable_, floored, policy.detach()), top_id


def decide(logits, in_command, temperature: float, gen, explore_floor: ExploreFloor | None = None):
    """Greedy decoding except for one choice: outside a command, `<call>` or the top other token,
    drawn with P(call) = sigmoid(decision_logit) (floored where `explore_floor` applies: `call_odds`).
    Inside a command (n and `</call>`) greedy. So every difference between two samples of one
    prompt is a call decision, the only thing GRPO's "decisions" exploration credits."""
    _, drawn, top_id = call_odds(logits, temperature, explore_floor)
    call = torch.bernoulli(drawn, generator=gen).bool() & ~in_command
    return torch.where(in_command, logits.argmax(-1), torch.where(call, torch.full_like(top_id, CALL), top_id))


def _new_sequences(prompts, forced_calls, prefixes):
    """One protocol state per prompt, and the first prompt tokens (fed before the loop). A prefix's
    tokens are queued after the prompt with their sources, so the protocol parses its commands and
    grants its calls again as it did the first time."""
    seqs = [new_sequence(p, forced_calls[i] if forced_calls else []) for i, p in enumerate(prompts)]
    for s, (tokens, sources) in zip(seqs, prefixes or []):
        s.queue += list(tokens)
        s.queue_src += list(sources)
    first = torch.tensor([s.queue.pop(0) for s in seqs])
    for s in seqs:
        s.queue_src.pop(0)
    return seqs, first


def _with_call_bias(s_logits, call_bias: float):
    """The student's logits with `call_bias` added to `<call>` (a copy: the view's `last` logits stay as they are)."""
    if not call_bias:
        return s_logits
    out = s_logits.clone()
    out[:, CALL] += call_bias
    return out


def _ban_student_calls(s_logits, seqs, student_banned: bool, call_ban_until: list[int] | None):
    """The student's logits with `<call>` and `</call>` banned: everywhere when calls are blocked
    (as the teacher-free policy does), else in the sequences still short of their `call_ban_until`."""
    ban_call = torch.zeros(VOCAB_SIZE, dtype=torch.bool)
    ban_call[[CALL, END_CALL]] = True
    if student_banned:
        return s_logits.masked_fill(ban_call, float("-inf"))
    if call_ban_until is None:
        return s_logits
    rows = torch.tensor([s.student_count < u for s, u in zip(seqs, call_ban_until)])
    return s_logits.masked_fill(rows[:, None] & ban_call, float("-inf"))


def _queue_warmup_command(s, i: int, placement: CallPlacement | None, place_rng, placed: list[int], p_max) -> None:
    """Warm-up data, where the student is free to write (nothing queued, its own turn, outside a
    command): queues a forced command due at this student token, else (with `placement`) one
    placed with probability min(1, scale * (1 - p_max)), n clipped to what is left of the reference."""
    if s.queue or s.mode != "S" or s.in_cmd:
        return
    if s.forced and s.forced[0][0] <= s.student_count:
        _, n = s.forced.pop(0)
        s.queue = command_tokens(n)
        s.queue_src = ["C"] * len(s.queue)
    elif (placement and placed[i] < placement.max_calls
          and place_rng.random() < placement.scale * (1.0 - float(p_max[i]))):
        placed[i] += 1
        left = max(1, placement.ref_lens[i] - s.student_count)
        n = draw_n(place_rng, placement.short_share, placement.digit_decay)
        s.queue = command_tokens(min(n, left))
        s.queue_src = ["C"] * len(s.queue)


def _step_view(model, cur, pos, cache, last, visible):
    """One step of a model whose view skips some tokens: where `visible` is false the token is
    written at `pos` but `pos` does not advance (the next token overwrites it) and `last` keeps
    the logits of the last visible token. Updates `pos` and `last` in place; returns `last`."""
    new = model.step(cur, pos, cache)
    last[visible] = new[visible]
    pos += visible.long()
    return last
