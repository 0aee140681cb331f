"""Seeding the pipeline's teacher stage from a published pair (`pipeline --teacher-from DIR`).

The teacher's SFT is half of a whole run (about an hour on 2 cores) and most recipe changes touch only the
student. A published pair's `llm.gguf` is the teacher's F32 weights exactly, so writing it back as
`teacher-sft.pt` lets the pipeline start at the student with the teacher it would have trained: the re-exported
`llm.gguf` is byte-identical (checked on 2026-12-05 and 2026-12-06, training/README.md). The checkpoint carries
the loss curve, dev curve and SFT time of the run that made the teacher when the pair's `metrics.json` has them,
so the card and curves show that run's figures, as a resumed stage does.
"""
from __future__ import annotations

import dataclasses
import json
import os

import torch

from .config import ConfigError, RoleConfig
from .gguf_read import load_llama

CHECKPOINT = "teacher-sft.pt"


def _made_by(metrics_path: str) -> tuple[list, list, float]:
    """(loss curve, dev curve, SFT seconds) of the run that made the teacher, from a pair's metrics.json."""
    if not os.path.exists(metrics_path):
        return [], [], 0.0
    with open(metrics_path) as f:
        metrics = json.load(f)
    curve = [tuple(point) for point in metrics.get("curves", {}).get("teacher_sft", [])]
    dev = [tuple(point) for point in metrics.get("sft_dev", {}).get("teacher", [])]
    timings = metrics.get("timings_s", {})
    seconds = timings.get("teacher-sft-resumed") or timings.get("teacher-sft") or 0.0
    return curve, dev, seconds


def seed_teacher(pair_dir: str, tcfg: RoleConfig, out: str) -> str:
    """Writes `out/teacher-sft.pt` from `pair_dir/llm.gguf`; its path. ConfigError when the file is missing or its
    shape is not the one `tcfg` describes (a teacher the pipeline would not have trained)."""
    gguf = os.path.join(pair_dir, "llm.gguf")
    if not os.path.isfile(gguf):
        raise ConfigError(f"--teacher-from {pair_dir}: no llm.gguf there")
    teacher = load_llama(gguf, max_seq_len=tcfg.model.max_seq_len)
    got, want = teacher.cfg, tcfg.model
    differ = [f"{f.name} {getattr(got, f.name)} (config {getattr(want, f.name)})"
              for f in dataclasses.fields(want) if getattr(got, f.name) != getattr(want, f.name)]
    if differ:
        raise ConfigError(f"--teacher-from {gguf}: not the teacher config's shape: {', '.join(differ)}")
    curve, dev, seconds = _made_by(os.path.join(pair_dir, "metrics.json"))
    path = os.path.join(out, CHECKPOINT)
    torch.save({"model": teacher.state_dict(), "curve": curve, "dev": dev, "seconds": seconds, "from": gguf}, path)
    return path
