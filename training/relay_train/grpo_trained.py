"""What GRPO's update may change (`trained`): the `<call>` output row alone, or every weight with the
digits held by a hinge.

The call row alone re-weights the call decision on the features the warm-up made, and the student
computes exactly what it did. Every weight lets those features move, and with them the digits the
student writes; `margin_shortfall` holds each written digit's argmax, and `GrpoOptimizer` can give
the row and the rest their own steps.
"""
from __future__ import annotations

import torch

from . import sft
from .tokenizer import CALL


def keep_call_row_grad(student) -> None:
    """`trained` "call_row": only the output row of `<call>` learns, so the features and every other
    token's logit (what the student computes) stay exactly as they were; the call decision is
    re-weighted on them."""
    for p in student.parameters():
        if p is not student.out.weight:
            p.grad = None
    if student.out.weight.grad is not None:
        row = student.out.weight.grad[CALL].clone()
        student.out.weight.grad.zero_()
        student.out.weight.grad[CALL] = row


def margin_shortfall(logits, ref_logits, tokens, margin: float):
    """Per position, how far the written token's lead over every other non-`<call>` token has fallen
    below min(`margin`, its lead under the reference): zero while the student still writes what the
    reference wrote by that lead. The digits keep their argmax, and the features under them are free
    to move within the lead (an anchor on the whole distribution would pin them: 259 rows span the
    64 dimensions). logits, ref_logits: over tokens[:, :-1]."""
    written = tokens[:, 1:, None]

    def lead(lg):
        others = lg.scatter(-1, written, float("-inf"))
        others[..., CALL] = float("-inf")
        return lg.gather(-1, written)[..., 0] - others.max(-1).values
    return torch.relu(torch.clamp(lead(ref_logits), max=margin) - lead(logits))


class GrpoOptimizer:
    """AdamW over what `trained` says learns. With "all" and `body_lr` > 0, the `<call>` row takes
    steps of `lr` and every other weight steps of `body_lr`: two AdamWs, each stepped with the other's
    gradients zeroed (a weight whose gradients were always zero keeps zero moments, so it never moves)."""

    def __init__(self, student, cfg: dict):
        adamw = lambda params, lr: torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.0)  # noqa: E731
        self.out = student.out.weight
        self.split = cfg["trained"] == "all" and cfg["body_lr"] > 0
        if cfg["trained"] == "call_row":
            self.row, self.body = adamw([self.out], cfg["lr"]), None
        elif self.split:
            self.row, self.body = adamw([self.out], cfg["lr"]), adamw(list(student.parameters()), cfg["body_lr"])
        else:
            self.row, self.body = None, sft.make_optimizer(student, cfg["lr"], 0.0)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in (self.row, self.body):
            if opt is not None:
                opt.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        if not self.split:
            (self.row or self.body).step()
            return
        grad = self.out.grad
        call_row = grad[CALL].clone()
        grad[CALL] = 0.0
        self.body.step()
        grad.zero_()
        grad[CALL] = call_row
        self.row.step()
