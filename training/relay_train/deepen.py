"""A deeper copy of a student: `add` blocks inserted before block `at`, each with a zero residual
(its attention output and FFN down projections are zero), so the copy computes exactly what the
original does until training moves it. Used to ask whether a bigger student reads its own
commands better (training/README.md, 2026-12-05); the shipped recipe does not use it.

    python3 -m relay_train.deepen --student IN.gguf --out OUT.gguf [--at 0] [--add 1]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

import torch

from .gguf import write_gguf
from .gguf_read import load_llama
from .model import Llama


def deepen(old: Llama, at: int, add: int, seed: int = 1234) -> Llama:
    if not 0 <= at <= old.cfg.n_layers or add < 1:
        raise ValueError(f"deepen: --at must be in [0, {old.cfg.n_layers}] and --add >= 1, got {at}, {add}")
    torch.manual_seed(seed)
    new = Llama(dataclasses.replace(old.cfg, n_layers=old.cfg.n_layers + add))
    for name in ("tok_emb", "norm", "out"):
        getattr(new, name).load_state_dict(getattr(old, name).state_dict())
    kept = iter(old.blocks)
    for i, block in enumerate(new.blocks):
        if at <= i < at + add:
            torch.nn.init.zeros_(block.wo.weight)
            torch.nn.init.zeros_(block.w_down.weight)
        else:
            block.load_state_dict(next(kept).state_dict())
    return new.eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--at", type=int, default=0)
    ap.add_argument("--add", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        new = deepen(load_llama(args.student), args.at, args.add)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    write_gguf(args.out, new, "relayllm-reference-slm-deepened")
    print(f"{args.out}: {new.cfg.n_layers} blocks, {new.n_params()} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
