"""Reading distillation: teach the student to compute after its own commands as it computes without them.

The student copies and combines digits at fixed distances (task.py's layout), and each command in
its context (`<call>`, n, `</call>`: three or more tokens) shifts those distances. Relaying with its
commands removed from its own context (`relayllm eval --hide-commands`, a diagnostic: the protocol
keeps them) is worth several points at the same calls. This stage makes the command-keeping
student predict, after its commands, what the frozen student predicts with them removed:

- at each position where the student chooses its next token (a text token or `<call>`) the target
  is the frozen student's distribution on the command-free prefix over the text tokens, with the
  call probability the frozen student gives in context (so where it calls is left as it was);
- inside a command (n's digits, `</call>`) the target is the frozen student in context.

Before the first command both views are the same prefix, so there the target is the student
itself: those positions hold the digits it already computes well in place. Contexts are the
student's own greedy relays (the teacher writes each call), redrawn each round with the student
being trained, under call biases 0, 1 and 2 so that the commands a raised bias writes are in it.

    python3 -m relay_train.reading --name RD_lr3e-5 --threads 1 --set lr=3e-5
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from . import config, task
from .evaluate import evaluate
from .experiment import REFERENCE, experiment_dir, experiment_splits, finish_models_dir, parse_override, teacher_arg
from .gguf import write_gguf
from .gguf_read import load_llama
from .progress import Progress
from .served_calls import greedy_relays
from .sft import make_optimizer, pad_tokens
from .tokenizer import CALL, END_CALL

# The run the card reports (lr 1e-3 wrecks the student in one AdamW step: every weight moves by lr).
DEFAULTS = {"rounds": 3, "pool": 2048, "epochs": 2, "batch": 32, "lr": 3e-5, "weight_decay": 0.0,
            "max_new_tokens": 256, "dev_bias": 0.0}
FIELDS = {k: (type(v), None) for k, v in DEFAULTS.items()}


def command_free_index(source: list[str], start: int) -> list[int]:
    """For each position of prompt + response (the prompt `start` tokens long), the position of the
    last token at or before it in the command-free sequence (-1 before any)."""
    out, j = [], -1
    for i in range(start + len(source)):
        if i < start or source[i - start] != "C":
            j += 1
        out.append(j)
    return out


def position_kinds(response: list[int], source: list[str], start: int) -> tuple[list[int], list[int]]:
    """(choice positions, command positions) of prompt + response: position i predicts token i + 1;
    a choice is a student text token or the `<call>` that opens a command, a command position
    predicts n's digits or `</call>`. Teacher tokens are no target."""
    choice, command = [], []
    for k, (tok, src) in enumerate(zip(response, source)):
        if src == "S" or (src == "C" and tok == CALL):
            choice.append(start + k - 1)
        elif src == "C":
            command.append(start + k - 1)
    return choice, command


def choice_target(p_hidden, p_context):
    """The target at a choice: text tokens as the command-free view predicts them, scaled to leave
    the in-context call probability its own. p_hidden, p_context: [N, V] probabilities."""
    call = p_context[:, CALL:CALL + 1]
    text = p_hidden.clone()
    text[:, [CALL, END_CALL]] = 0.0
    text = text / text.sum(-1, keepdim=True).clamp(min=1e-12)
    out = text * (1.0 - call)
    out[:, CALL] = call[:, 0]
    return out


@torch.no_grad()
def batch_targets(frozen, transcripts):
    """(context tokens [B, T], rows, cols, target probabilities [N, V]) for a batch of transcripts."""
    full = [tr.prompt + tr.response for tr in transcripts]
    free = [tr.prompt + [t for t, s in zip(tr.response, tr.source) if s != "C"] for tr in transcripts]
    tokens = pad_tokens(full)
    p_ctx = torch.softmax(frozen(tokens), -1)
    p_free = torch.softmax(frozen(pad_tokens(free)), -1)
    rows, cols, targets = [], [], []
    for b, tr in enumerate(transcripts):
        start = len(tr.prompt)
        choice, command = position_kinds(tr.response, tr.source, start)
        j = command_free_index(tr.source, start)
        if choice:
            targets.append(choice_target(p_free[b, [j[i] for i in choice]], p_ctx[b, choice]))
        if command:
            targets.append(p_ctx[b, command])
        rows += [b] * (len(choice) + len(command))
        cols += choice + command
    return tokens, torch.tensor(rows), torch.tensor(cols), torch.cat(targets)


def distill_loss(student, tokens, rows, cols, targets):
    """Mean soft cross-entropy of the student's predictions at (rows, cols) against `targets`
    (the KL up to the targets' own entropy, a constant)."""
    logp = F.log_softmax(student(tokens)[rows, cols], -1)
    return -(targets * logp).sum(-1).mean()


def dev_point(student, teacher, questions, cfg) -> dict:
    return evaluate(student, teacher, questions, relay=True, max_new_tokens=cfg["max_new_tokens"], call_bias=cfg["dev_bias"])


def train(student, frozen, teacher, sampler, dev, cfg: dict, seed: int, prog: Progress) -> list[dict]:
    opt = make_optimizer(student, cfg["lr"], cfg["weight_decay"])
    gen = torch.Generator().manual_seed(seed)
    points = [{"round": 0, **_brief(dev_point(student, teacher, dev, cfg))}]
    prog.info(f"round 0 dev {json.dumps(points[-1])}")
    for r in range(1, cfg["rounds"] + 1):
        student.eval()
        pool = greedy_relays(student, teacher, [next(sampler) for _ in range(cfg["pool"])], seed + 1000 * r,
                             cfg["max_new_tokens"])
        pool = [tr for tr in pool if "C" in tr.source]      # no command: nothing to read
        student.train()
        losses = []
        for _ in range(cfg["epochs"]):
            order = torch.randperm(len(pool), generator=gen).tolist()
            for i in range(0, len(order), cfg["batch"]):
                loss = distill_loss(student, *batch_targets(frozen, [pool[k] for k in order[i:i + cfg["batch"]]]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(float(loss))
        student.eval()
        points.append({"round": r, "pool": len(pool), "loss": round(sum(losses) / max(1, len(losses)), 4),
                       **_brief(dev_point(student, teacher, dev, cfg))})
        prog.info(f"round {r} dev {json.dumps(points[-1])}")
    return points


def _brief(point: dict) -> dict:
    return {k: round(point[k], 4) for k in ("accuracy", "rho", "calls_per_answer")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--student", default=os.path.join(REFERENCE, "slm.gguf"))
    teacher_arg(ap)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    cfg = dict(DEFAULTS)
    try:
        cfg.update(parse_override(s, FIELDS) for s in args.set)
    except config.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    out = experiment_dir(args.name)
    prog = Progress(os.path.join(out, "train.log"))
    prog.info(f"reading config: {json.dumps(cfg)} student {args.student}")
    torch.manual_seed(args.seed)
    student, frozen, teacher = load_llama(args.student), load_llama(args.student).eval(), load_llama(args.teacher).eval()
    splits, held_out = experiment_splits()
    t0 = time.time()
    points = train(student, frozen, teacher, task.train_sampler(args.seed + 3, held_out), splits["dev"], cfg,
                   args.seed, prog)
    write_gguf(os.path.join(out, "slm.gguf"), student, "relayllm-reference-slm-reading-experiment")
    finish_models_dir(out, args.teacher, {"points": points, "config": cfg, "student": args.student,
                                          "seconds": round(time.time() - t0, 1)})
    prog.info(f"done in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
