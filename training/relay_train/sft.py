"""Supervised training on the task's reference answers (teacher, and the student's base)."""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from . import task
from .tokenizer import BOS, EOS, encode


def encode_example(q: task.Question) -> tuple[list[int], int]:
    """Tokens and the index where the answer starts (loss is on answer tokens only)."""
    prompt = [BOS] + encode(task.prompt_text(q.text))
    return prompt + encode(task.solve(q)[0]) + [EOS], len(prompt)


def answer_example(q: task.Question) -> tuple[list[int], list[float]]:
    """Tokens of a reference answer and its loss mask (answer tokens only)."""
    tokens, start = encode_example(q)
    return tokens, [0.0] * start + [1.0] * (len(tokens) - start)


def pad_tokens(seqs: list[list[int]]):
    """[B, T] token ids, right padded with EOS."""
    tokens = torch.full((len(seqs), max(len(s) for s in seqs)), EOS, dtype=torch.long)
    for i, s in enumerate(seqs):
        tokens[i, : len(s)] = torch.tensor(s)
    return tokens


def pad_batch(seqs: list[list[int]], loss_masks: list[list[float]]):
    tokens = pad_tokens(seqs)
    mask = torch.zeros(tokens.shape)
    for i, m in enumerate(loss_masks):
        mask[i, : len(m)] = torch.tensor(m)
    return tokens, mask


def masked_lm_loss(model, tokens, mask):
    """Next-token loss where mask[t] says whether token t is a training target."""
    return part_loss(model, tokens, mask, target_count(mask))


def target_count(mask) -> torch.Tensor:
    """The denominator of a batch's loss: its training targets (at least 1)."""
    return mask[:, 1:].sum().clamp(min=1)


def part_loss(model, tokens, mask, targets: torch.Tensor):
    """The share of a batch's `masked_lm_loss` that its rows `tokens` hold, `targets` being the whole
    batch's `target_count`: the parts of a batch add up to its loss (data_parallel.py)."""
    logits = model(tokens[:, :-1])
    target, m = tokens[:, 1:], mask[:, 1:]
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
    return (nll * m.reshape(-1)).sum() / targets


def local_backward(model, tokens, mask) -> float:
    """`train_steps`' default `backward`: the batch's loss and its gradients, in this process."""
    loss = masked_lm_loss(model, tokens, mask)
    loss.backward()
    return loss.item()


def bucketed_batches(sampler, batch_size: int, pool_batches: int = 16, example=None):
    """Endless batches of similar length (less padding): sort a pool, cut, shuffle order. `example`
    turns a question into (tokens, loss mask); default `answer_example`."""
    example = example or answer_example
    g = torch.Generator().manual_seed(0)
    while True:
        pool = [example(next(sampler)) for _ in range(batch_size * pool_batches)]
        pool.sort(key=lambda e: len(e[0]))
        chunks = [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
        for j in torch.randperm(len(chunks), generator=g).tolist():
            yield pad_batch([e[0] for e in chunks[j]], [e[1] for e in chunks[j]])


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def make_optimizer(model, lr: float, weight_decay: float):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98))


def train_steps(model, batches, steps: int, lr: float, warmup: int, weight_decay: float, progress, log_every=50,
                after_step=None, backward=local_backward):
    """Generic masked-LM loop; `batches` yields (tokens, mask). Returns [(step, loss)]. `after_step(k)` runs
    after step k (1-based), in training mode; it must leave the model in training mode. `backward(model,
    tokens, mask)` leaves the batch's gradients in the parameters' `.grad` and returns its loss."""
    opt = make_optimizer(model, lr, weight_decay)
    model.train()
    curve, run, t0 = [], 0.0, time.time()
    for step in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, steps, lr, warmup)
        tokens, mask = next(batches)
        opt.zero_grad(set_to_none=True)
        loss = backward(model, tokens, mask)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run += loss
        if (step + 1) % log_every == 0 or step + 1 == steps:
            n = (step % log_every) + 1
            curve.append((step + 1, run / n))
            progress(step + 1, steps, f"loss {run / n:.4f}  {(step + 1) / (time.time() - t0):.2f} it/s")
            run = 0.0
        if after_step is not None:
            after_step(step + 1)
    model.eval()
    return curve


def dev_tracker(model, steps: int, every: int, accuracy, progress) -> tuple[list, object]:
    """([(step, dev accuracy)], an `after_step` for train_steps) measuring `accuracy(model)` every `every`
    steps and at the last; every = 0: no measurement (the list stays empty, the hook is None). The
    measurement runs in eval mode without gradients and touches no random state, so the weights
    trained are the same with or without it."""
    curve: list = []
    if every <= 0:
        return curve, None

    def after_step(step: int) -> None:
        if step % every and step != steps:
            return
        model.eval()
        with torch.no_grad():
            acc = accuracy(model)
        model.train()
        curve.append((step, acc))
        progress.info(f"step {step}: dev accuracy alone {acc * 100:.2f}%")

    return curve, after_step
