"""One student SFT (the pipeline's student-sft stage) from random weights, with config overrides;
exports it as GGUF for `relayllm eval` and the diagnostics.

    python3 -m relay_train.sft_experiment --name C_context3 --threads 2 \\
        --set context_commands_share=0.5 --set context_commands_max=3
    python3 -m relay_train.sft_experiment --name dim32 --model dim=32 --model ffn_dim=128 --set steps=16000
    python3 -m relay_train.sft_experiment --name L900 --lookup 100:1000 --set steps=8000

Trains as the pipeline does (`configs/student.json` → sft, overridden by each --set key=value, the
same seed and train stream; the student's size overridden by each --model key=value) and writes
under training/out/experiments/<name>/: train.log, result.json (loss curve, dev accuracy alone by
step, seconds, the sft config and the model's size), student-sft.pt, slm.gguf and llm.gguf (a link to the
teacher, models/reference/llm.gguf unless --teacher), so that the folder is a models directory; with
--lookup (the task variant, task.Lookup) also data/dev.jsonl and data/test.jsonl, that variant's splits.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys

from . import config, pipeline, task
from .experiment import experiment_splits, finish_models_dir, parse_override, stage_cli
from .gguf import write_gguf


def main(argv=None) -> int:
    model_arg = lambda ap: ap.add_argument(  # noqa: E731
        "--model", action="append", default=[],
        help="<key>=<value> override of the student's size (model section: dim, n_layers, n_heads, ffn_dim, max_seq_len)")
    with_model = lambda args, scfg: config.with_model(  # noqa: E731
        scfg, dict(parse_override(s, config.MODEL_FIELDS, "--model") for s in args.model))
    parsed = stage_cli(argv, __doc__, "sft", config.SFT_FIELDS, None, model_arg, with_model)
    if parsed is None:
        return 2
    args, scfg, cfg, out = parsed
    if task.lookup_in_use() is not None:
        write_splits(os.path.join(out, "data"))
    run(scfg, cfg, args.teacher, out)
    return 0


def write_splits(data_dir: str) -> None:
    """The task variant's dev and test questions as `relayllm eval --dataset` reads them."""
    os.makedirs(data_dir, exist_ok=True)
    for name, qs in experiment_splits()[0].items():
        task.write_jsonl(os.path.join(data_dir, f"{name}.jsonl"), qs)


def run(scfg, cfg: dict, teacher_path: str, out: str) -> dict:
    """pipeline.train_sft for the student with `cfg` as its sft section, then the GGUF export."""
    st = pipeline.Stages(out, resume=False)
    st.prog.info(f"sft config: {json.dumps(cfg)}")
    splits, held_out = experiment_splits()
    stage = f"{scfg.role}-sft"  # the log names what is trained: the teacher's config trains a teacher
    model, curve, dev_curve = st.timed(stage, lambda: pipeline.train_sft(
        st, dataclasses.replace(scfg, sft=cfg), held_out, splits["dev"]))
    write_gguf(os.path.join(out, "slm.gguf"), model, "relayllm-reference-slm-sft-experiment")
    res = {"curve": curve, "dev": dev_curve, "seconds": st.timings[stage], "config": cfg,
           "model": dict(scfg.model.__dict__)}
    finish_models_dir(out, teacher_path, res)
    return res


if __name__ == "__main__":
    sys.exit(main())
