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
answers, so that the warm-up keeps what SFT taught (training/README.md has the measurements);
`reference_calls` puts commands into those too (ReferencePlacer), so that they do not teach
"never call" where the student is unsure; with `reference_placement` "number_tail" those
commands go before each digit the student is unsure of and ask for the rest of its number
(ReferencePlacer.place says why), with "number_tail_error" before each digit it gets wrong
(ReferencePlacer.confidence), with "number_tail_self" before each digit the student being trained
gets wrong with its commands in its context (self_labels.py). `digit_decay` < 1 draws small d more often.

The warm-up runs in rounds (`rounds`): the first as above from the SFT student, then the student
config's `self_rounds` rounds, each from the round before with self-placed commands.
"""
from __future__ import annotations

import copy
import random

import torch

from . import self_labels, served_calls, sft, task
from .evaluate import prompt_ids
from .rollout import CallPlacement, Transcript, command_tokens, draw_n, rollout


def random_commands(rng: random.Random, ref_len: int, max_calls: int, short_share: float = 0.5,
                    digit_decay: float = 1.0) -> list[tuple[int, int]]:
    k = rng.randint(0, max_calls)
    positions = sorted(rng.sample(range(ref_len), min(k, ref_len)))
    out = []
    for p in positions:
        n = draw_n(rng, short_share, digit_decay)
        out.append((p, max(1, min(n, ref_len - p))))
    return out


def self_round_config(base: dict, rounds: dict) -> dict:
    """The warm-up config of one round after the first: the first round's, with commands in the
    reference answers placed by the student being trained ("number_tail_self") and the round's
    own size. Each round starts from the previous round's student, so its labels follow the
    errors that student still makes (training/README.md has the measurements); `silent_calls`
    context-only commands per answer (self_labels.with_silent_calls) when the round asks for them, and
    answers labelled with the commands the student writes when it relays (served_calls) likewise."""
    return base | {"reference_placement": "number_tail_self", "reference_threshold": rounds["reference_threshold"],
                   "transcripts": rounds["transcripts"], "steps": rounds["steps"], "lr": rounds["lr"],
                   "silent_calls": rounds["silent_calls"], "served_pool": rounds["served_pool"],
                   "served_share": rounds["served_share"]}


def rounds(scfg) -> list[tuple[str, str, dict]]:
    """Each warm-up round of a student config as (checkpoint file, stage name, its warm-up config):
    the first from the SFT student, then `self_rounds.rounds` self-placed rounds, each from the
    round before. The last round's student is the one GRPO starts from."""
    later = self_round_config(scfg.warmup, scfg.self_rounds)
    return [("student-warmup.pt", "warmup", scfg.warmup)] + [
        (f"student-warmup-round{k}.pt", f"warmup-round{k}", later) for k in range(2, scfg.self_rounds["rounds"] + 2)]


def train_round(student, teacher, wcfg: dict, seed: int, held_out: set, progress, timed) -> tuple[list, dict]:
    """One warm-up round on `student` in place, seeded from `seed`: its transcripts, then SFT on
    them mixed with reference answers; (loss curve, transcript stats). `timed(part, fn)` runs the
    "data" and "sft" parts (the pipeline and warmup_experiment time and log them each their way)."""
    wq_sampler = task.train_sampler(seed + 1, held_out)
    wq = [next(wq_sampler) for _ in range(wcfg["transcripts"])]
    examples, stats = timed("data", lambda: build_transcripts(student, teacher, wq, wcfg, seed, progress))
    progress.info(f"warm-up transcripts: {stats}")
    references = task.train_sampler(seed + 5, held_out)
    served = {}
    if wcfg["served_pool"]:
        pool_sampler = task.train_sampler(seed + 7, held_out)
        pool = [next(pool_sampler) for _ in range(wcfg["served_pool"])]
        served = timed("served", lambda: served_calls.served_pool(student, teacher, pool, seed + 8))
        stats["served"] = {"questions": len(pool), "commands": sum(map(len, served.values())),
                           "call_biases": list(served_calls.POOL_CALL_BIASES)}
        progress.info(f"served pool: {stats['served']}")
        references = served_calls.mixed_sampler(pool, references, wcfg["served_share"], seed + 9)
    placer = ReferencePlacer(student, wcfg, seed + 6, served) if wcfg["reference_calls"] else None
    torch.manual_seed(seed + 2)
    batches = example_batches(examples, wcfg["batch_size"], seed, wcfg["reference_share"], references, placer)
    curve = timed("sft", lambda: sft.train_steps(student, batches, wcfg["steps"], wcfg["lr"], max(1, wcfg["steps"] // 20),
                                                 0.0, progress))
    return curve, stats


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
                                      seed=rng.randrange(2**31), digit_decay=cfg["digit_decay"])
        else:
            forced = [random_commands(rng, n, cfg["max_calls"], cfg["short_share"], cfg["digit_decay"]) for n in ref_lens]
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


def example_batches(examples, batch_size: int, seed: int, reference_share: float = 0.0, reference_sampler=None,
                    reference_placer=None):
    """Endless shuffled batches of transcripts; `reference_share` of each batch are reference
    answers (plain SFT examples from `reference_sampler`), so the warm-up does not cost the
    student what its SFT taught it (its own correct samples over-represent easy questions).
    `reference_placer` (see ReferencePlacer) puts commands into those answers as well."""
    g = torch.Generator().manual_seed(seed)
    n_ref = round(batch_size * reference_share) if reference_sampler is not None else 0
    n_tr = max(1, batch_size - n_ref)
    while True:
        order = torch.randperm(len(examples), generator=g).tolist()
        for j in range(0, max(1, len(order) - n_tr + 1), n_tr):
            picked = [examples[k % len(examples)] for k in order[j:j + n_tr]]
            refs = [next(reference_sampler) for _ in range(n_ref)]
            picked += reference_placer(refs) if reference_placer is not None else [sft.answer_example(q) for q in refs]
            yield sft.pad_batch([p[0] for p in picked], [p[1] for p in picked])


class ReferencePlacer:
    """Commands in the warm-up's reference answers, placed as in the transcripts (CallPlacement).

    Reference answers without a command teach "never call" at exactly the tokens where the
    transcripts call, and half of each batch is reference answers: the learned P(`<call>`) came
    out at 0.1-0.3 where the transcripts asked for ~1 (training/README.md). With
    `reference_placement` "uncertain" each answer token gets a command with probability min(1, reference_placement_scale * (1 - p_max)),
    p_max from `student` (the frozen SFT student that sampled the transcripts) reading the
    command-free reference prefix, as it does under `hide_commands`; at most `max_calls`; n as
    in CallPlacement. The n tokens after a command are the teacher's turn: the reference text,
    which the teacher writes (it was trained on it); with `reference_teacher_loss` they are
    also SFT targets (they are the reference answer: this keeps the student learning the
    digits it is unsure of), else context only. Each answer gets commands with probability
    `reference_calls`, else stays plain. "number_tail" places them as `place` says."""

    def __init__(self, student, cfg: dict, seed: int, served: dict | None = None):
        # "number_tail_self" labels with the student being trained, as it is at each batch.
        self.student = student if cfg["reference_placement"] == "number_tail_self" else copy.deepcopy(student).eval()
        self.scale, self.max_calls, self.short_share = cfg["reference_placement_scale"], cfg["max_calls"], cfg["short_share"]
        self.share, self.digit_decay = cfg["reference_calls"], cfg["digit_decay"]
        self.teacher_loss = float(cfg["reference_teacher_loss"])
        self.mode, self.threshold = cfg["reference_placement"], cfg["reference_threshold"]
        self.tail_max_calls = cfg["reference_max_calls"]
        self.silent_calls = cfg["silent_calls"]
        self.served = served or {}   # question text -> the commands the student wrote serving it
        self.rng = random.Random(seed)

    @torch.no_grad()
    def __call__(self, questions) -> list[tuple[list[int], list[float]]]:
        encoded = [sft.encode_example(q) for q in questions]
        if self.mode == "number_tail_self":
            # Drawn only when asked: with 0 the random stream, and so the shipped recipe, stay as they were.
            silent = [self.context_commands(q, toks, start) for q, (toks, start) in zip(questions, encoded)]
            labelled = self_labels.place(self.student, encoded, self.threshold, self.tail_max_calls, self.teacher_loss,
                                         silent=silent)
            return [(lab.tokens, lab.mask) if self.rng.random() < self.share else sft.answer_example(q)
                    for q, lab in zip(questions, labelled)]
        tokens, _ = sft.pad_batch([e[0] for e in encoded], [[0.0] for _ in encoded])
        score = self.confidence(torch.softmax(self.student(tokens).float(), -1), tokens).tolist()
        return [self.place(toks, start, sc) if self.rng.random() < self.share else sft.answer_example(q)
                for q, (toks, start), sc in zip(questions, encoded, score)]

    def context_commands(self, q, toks: list[int], start: int) -> list[tuple[int, int]]:
        """The commands a "number_tail_self" answer carries as context only: those the student wrote
        serving it (served pool), else `silent_calls` random ones, else none."""
        if q.text in self.served:
            return self.served[q.text]
        if self.silent_calls:
            return self_labels.with_silent_calls(self.rng, toks, start, self.silent_calls)
        return []

    def confidence(self, probs: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """score[b, t], compared with reference_threshold for token t + 1: p_max, or with
        "number_tail_error" p(reference token), and -1 where the student's argmax is not the
        reference token. Under greedy decoding the relay's text is the reference prefix up to the
        student's first wrong token, and the reference prefix again once the teacher has written
        it, so those argmax errors are where a call is needed; p_max below a threshold only
        points at them. The threshold on p(reference) adds a margin around them (0: errors only)."""
        p_max, top = probs.max(-1)
        if self.mode != "number_tail_error":
            return p_max
        nxt = torch.cat([tokens[:, 1:], tokens[:, -1:]], 1)      # the last position predicts nothing used
        p_ref = probs.gather(-1, nxt.unsqueeze(-1)).squeeze(-1)
        return torch.where(top == nxt, p_ref, torch.full_like(p_ref, -1.0))

    def place(self, toks: list[int], start: int, p_max: list[float]) -> tuple[list[int], list[float]]:
        """p_max[t] is the student's score (see `confidence`: its top probability, or with
        "number_tail_error" p(reference token), -1 where it would write another) for token t + 1
        given toks[:t + 1].

        "uncertain": each token with probability min(1, reference_placement_scale·(1 − p_max)),
        n drawn as in the transcripts. "number_tail": before each digit the student is unsure of
        (p_max < reference_threshold), n = the rest of that digit's number, deterministic;
        "number_tail_error" the same with its score (before each digit it gets wrong). Why
        the number's end: the answer format puts every digit at a fixed distance from the digits
        it depends on (task.py), and a 2-layer student computes by those distances. A command
        shifts everything after it by its length; when the teacher's turn ends inside a number,
        the student has to go on computing digits at shifted distances, and it cannot
        (training/README.md: calling where it is unsure, the SFT student reaches 83% with its
        commands hidden from it and 55% with them in its context). Ending the turn at the
        number's end leaves the student only copying across the shift, which it learns."""
        if self.mode in ("number_tail", "number_tail_error"):
            def n_at(t: int, placed: int) -> int:
                if placed < self.tail_max_calls and p_max[t - 1] < self.threshold:
                    return task.number_length(toks, t)
                return 0
        else:
            def n_at(t: int, placed: int) -> int:
                if placed < self.max_calls and self.rng.random() < self.scale * (1.0 - p_max[t - 1]):
                    return min(draw_n(self.rng, self.short_share, self.digit_decay), len(toks) - t)
                return 0
        return self.splice(toks, start, n_at)

    def splice(self, toks: list[int], start: int, n_at) -> tuple[list[int], list[float]]:
        """The answer with a command before token t wherever n_at(t, commands so far) = n > 0;
        the n tokens after it are the teacher's turn (the reference text)."""
        calls, t = [], start
        while t < len(toks):
            n = n_at(t, len(calls))
            if n > 0:
                calls.append((t, n))
            t += max(n, 1)
        out, mask, _ = self_labels.splice(toks, start, calls, self.teacher_loss)
        return out, mask
