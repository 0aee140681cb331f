"""GGUF files of the student's intermediate stages, so that the model card's table can be
re-measured through the serving path (`npm run eval:reference`).

`<publish>/stages/<stage>/slm.gguf` for stage `sft` (student after SFT) and `warmup` (after
the last warm-up round, the student GRPO starts from), each beside a relative symlink `llm.gguf -> ../../llm.gguf`, so that every stage
directory is a complete models directory for `relayllm eval --models DIR`.

`python3 -m relay_train.stages --out DIR --publish DIR` exports them from the checkpoints a
pipeline run left in --out (`student-sft.pt` and the last warm-up round's checkpoint).
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

from . import config, warmup
from .gguf import write_gguf
from .model import Llama

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stage_checkpoints(student_cfg) -> dict[str, str]:
    return {"sft": "student-sft.pt", "warmup": warmup.rounds(student_cfg)[-1][0]}


def _state(path: str) -> dict:
    saved = torch.load(path)
    return saved["model"] if "model" in saved else saved


def export_stages(student_cfg, out: str, publish: str | None) -> list[str]:
    written = []
    for stage, ckpt in stage_checkpoints(student_cfg).items():
        model = Llama(student_cfg.model)
        model.load_state_dict(_state(os.path.join(out, ckpt)))
        model.eval()
        dirs = [os.path.join(out, "export", "stages", stage)] + ([os.path.join(publish, "stages", stage)] if publish else [])
        for d in dirs:
            os.makedirs(d, exist_ok=True)
            write_gguf(os.path.join(d, "slm.gguf"), model, f"relayllm-reference-slm-{stage}")
            link = os.path.join(d, "llm.gguf")
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(os.path.join("..", "..", "llm.gguf"), link)
            written.append(os.path.join(d, "slm.gguf"))
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--publish", default=None)
    ap.add_argument("--student-config", default=os.path.join(HERE, "configs", "student.json"))
    args = ap.parse_args(argv)
    for path in export_stages(config.load(args.student_config), args.out, args.publish):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
