"""One warm-up (paper stage 1) experiment from the shipped SFT student, with config overrides;
exports the warmed-up student as GGUF for `relayllm eval`.

    python3 -m relay_train.warmup_experiment --name W_random --set placement_scale=0 --set steps=1000

Reads models/reference/stages/sft/slm.gguf (student after SFT) and models/reference/llm.gguf
(teacher), builds the transcripts and trains as the pipeline's warm-up stage does
(`configs/student.json` → warmup, overridden by each --set key=value, same seeds), and writes
under training/out/experiments/<name>/: train.log, result.json (transcript stats, loss curve,
seconds, the config), student-warmup.pt, slm.gguf and llm.gguf (a link to the teacher), so that the
folder is a models directory for `relayllm eval --models`.
"""
from __future__ import annotations

import json
import os
import sys
import time

import torch

from . import config, warmup
from .experiment import REFERENCE, experiment_splits, finish_models_dir, stage_cli
from .gguf import write_gguf
from .gguf_read import load_llama
from .progress import Progress


def main(argv=None) -> int:
    parsed = stage_cli(argv, __doc__, "warmup", config.WARMUP_FIELDS, os.path.join(REFERENCE, "stages", "sft", "slm.gguf"))
    if parsed is None:
        return 2
    args, scfg, wcfg, out = parsed
    run(args.student, args.teacher, wcfg, scfg.seed, out)
    return 0


def run(student_path: str, teacher_path: str, wcfg: dict, seed: int, out: str) -> dict:
    """The pipeline's warm-up stage (pipeline.run), on GGUF inputs."""
    prog = Progress(os.path.join(out, "train.log"))
    prog.info(f"warmup config: {json.dumps(wcfg)} student {student_path}")
    student, teacher = load_llama(student_path), load_llama(teacher_path)
    student.eval()
    teacher.eval()
    _, held_out = experiment_splits()
    seconds: dict = {}

    def timed(part, fn):
        prog.begin(f"warmup-{part}")
        t0 = time.time()
        res = fn()
        seconds[f"warmup-{part}"] = round(time.time() - t0, 1)
        prog.info(f"warmup-{part} done in {seconds[f'warmup-{part}']}s")
        return res

    curve, stats = warmup.train_round(student, teacher, wcfg, seed, held_out, prog, timed)
    student.eval()
    torch.save({"model": student.state_dict(), "curve": curve, "stats": stats, "seconds": seconds},
               os.path.join(out, "student-warmup.pt"))
    write_gguf(os.path.join(out, "slm.gguf"), student, "relayllm-reference-slm-warmup-experiment")
    res = {"stats": stats, "curve": curve, "seconds": seconds, "config": wcfg, "student": student_path}
    finish_models_dir(out, teacher_path, res)
    return res


if __name__ == "__main__":
    sys.exit(main())
