"""`python3 -m relay_train.pipeline [--smoke] [--out DIR]`: rebuild the reference pair from scratch.

Stages: splits -> teacher SFT -> student SFT -> warm-up (stage 1) -> GRPO (stage 2)
-> evaluation table -> GGUF export + parity fixtures + model card + curves.
Seeded end to end. `--smoke` runs every stage with tiny step counts into --out.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import shutil
import sys
import time

import torch

from . import config, grpo, sft, task, warmup
from .evaluate import evaluate
from .export import export_all
from .model import Llama
from .progress import Progress

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tiny step counts; every stage and the export")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "reference"), help="work dir (checkpoints, log, curves)")
    ap.add_argument("--publish", default=None, help="copy GGUFs, card and data here (default models/reference unless --smoke)")
    ap.add_argument("--teacher-config", default=os.path.join(HERE, "configs", "teacher.json"))
    ap.add_argument("--student-config", default=os.path.join(HERE, "configs", "student.json"))
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--resume", action="store_true", help="reuse stage checkpoints already in --out "
                    "(teacher-sft.pt, student-sft.pt, student-warmup.pt)")
    args = ap.parse_args(argv)
    try:
        tcfg = config.load(args.teacher_config, smoke=args.smoke)
        scfg = config.load(args.student_config, smoke=args.smoke)
        if tcfg.role != "teacher" or scfg.role != "student":
            raise config.ConfigError("teacher config must have role 'teacher' and student config role 'student'")
    except config.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    publish = args.publish or (None if args.smoke else os.path.join(ROOT, "models", "reference"))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    run(tcfg, scfg, args.out, publish, args.smoke, args.resume)
    return 0


def run(tcfg, scfg, out: str, publish: str | None, smoke: bool, resume: bool = False) -> dict:
    prog = Progress(os.path.join(out, "train.log"))
    prog.info(f"start: smoke={smoke} out={out} threads={torch.get_num_threads()}")
    timings, curves, table = {}, {}, {}

    def timed(name, fn):
        prog.begin(name)
        t = time.time()
        res = fn()
        timings[name] = round(time.time() - t, 1)
        prog.info(f"{name} done in {timings[name]}s")
        return res

    per_test, per_dev = (20, 5) if smoke else (400, 100)
    splits = task.make_splits(tcfg.seed, per_test, per_dev)
    held_out = {q.text for qs in splits.values() for q in qs}
    data_dir = os.path.join(out, "data")
    os.makedirs(data_dir, exist_ok=True)
    for name, qs in splits.items():
        task.write_jsonl(os.path.join(data_dir, f"{name}.jsonl"), qs)
    test = splits["test"]

    def train_sft(cfg):
        torch.manual_seed(cfg.seed)
        model = Llama(cfg.model)
        ckpt = os.path.join(out, f"{cfg.role}-sft.pt")
        if resume and os.path.exists(ckpt):
            saved = torch.load(ckpt)
            model.load_state_dict(saved["model"])
            timings[f"{cfg.role}-sft-resumed"] = saved["seconds"]
            prog.info(f"resumed {ckpt} (trained in {saved['seconds']}s)")
            return model.eval(), saved["curve"]
        batches = sft.bucketed_batches(task.train_sampler(cfg.seed, held_out), cfg.sft["batch_size"])
        t0 = time.time()
        curve = sft.train_steps(model, batches, cfg.sft["steps"], cfg.sft["lr"], cfg.sft["warmup_steps"],
                                cfg.sft["weight_decay"], prog)
        torch.save({"model": model.state_dict(), "curve": curve, "seconds": round(time.time() - t0, 1)}, ckpt)
        return model, curve

    teacher, curves["teacher_sft"] = timed("teacher-sft", lambda: train_sft(tcfg))
    student, curves["student_sft"] = timed("student-sft", lambda: train_sft(scfg))
    prog.info(f"params: teacher {teacher.n_params()} student {student.n_params()}")
    table["teacher"] = timed("eval-teacher", lambda: evaluate(teacher, None, test, relay=False))
    table["student"] = timed("eval-student", lambda: evaluate(student, None, test, relay=False))

    wcfg = scfg.warmup
    warmup_ckpt = os.path.join(out, "student-warmup.pt")
    saved_warmup = torch.load(warmup_ckpt) if resume and os.path.exists(warmup_ckpt) else None
    if saved_warmup is not None and "curve" in saved_warmup:
        # --resume: the warm-up of this same student SFT checkpoint (its transcripts and steps).
        student.load_state_dict(saved_warmup["model"])
        student.eval()
        curves["warmup_sft"], wstats = saved_warmup["curve"], saved_warmup["stats"]
        for name in ("warmup-data", "warmup-sft"):
            timings[f"{name}-resumed"] = saved_warmup["seconds"][name]
        prog.info(f"resumed {warmup_ckpt} (transcripts {wstats}, times {saved_warmup['seconds']})")
    else:
        wq_sampler = task.train_sampler(scfg.seed + 1, held_out)
        wq = [next(wq_sampler) for _ in range(wcfg["transcripts"])]
        examples, wstats = timed("warmup-data", lambda: warmup.build_transcripts(student, teacher, wq, wcfg, scfg.seed, prog))
        prog.info(f"warm-up transcripts: {wstats}")
        placer = warmup.ReferencePlacer(student, wcfg, scfg.seed + 6) if wcfg["reference_calls"] else None
        torch.manual_seed(scfg.seed + 2)
        curves["warmup_sft"] = timed("warmup-sft", lambda: sft.train_steps(
            student, warmup.example_batches(examples, wcfg["batch_size"], scfg.seed, wcfg["reference_share"],
                                            task.train_sampler(scfg.seed + 5, held_out), placer), wcfg["steps"], wcfg["lr"],
            max(1, wcfg["steps"] // 20), 0.0, prog))
        torch.save({"model": student.state_dict(), "curve": curves["warmup_sft"], "stats": wstats,
                    "seconds": {k: timings[k] for k in ("warmup-data", "warmup-sft")}}, warmup_ckpt)
    table["warmup_relay"] = timed("eval-warmup", lambda: evaluate(student, teacher, test, relay=True))

    gcfg = scfg.grpo
    frozen_warmup = copy.deepcopy(student).eval()
    keep = grpo.make_filter(gcfg["prompt_filter"], frozen_warmup, teacher, gcfg, scfg.seed)
    filter_stats: dict = {}
    prompts = grpo.fresh_prompts(task.train_sampler(scfg.seed + 3, held_out), keep, gcfg["filter_batch"], filter_stats)
    # the filter runs as the stream is read; this stage primes it so the log shows its pass rate early
    first = timed("grpo-filter", lambda: next(prompts))
    prog.info(f"GRPO prompt filter '{gcfg['prompt_filter']}': kept {filter_stats['kept']} of the first {filter_stats['seen']}")
    torch.manual_seed(scfg.seed + 4)
    grpo_res = timed("grpo", lambda: grpo.train(student, teacher, itertools.chain([first], prompts), splits["dev"],
                                               gcfg, scfg.seed, prog))
    curves["grpo"], curves["grpo_dev"] = grpo_res["curve"], grpo_res["dev"]
    prog.info(f"GRPO prompts: kept {filter_stats['kept']} of {filter_stats['seen']} fresh questions; "
              f"chosen on dev: step {grpo_res['best']['step']}")
    torch.save(student.state_dict(), os.path.join(out, "student-grpo.pt"))
    table["grpo_blocked"] = timed("eval-grpo-alone", lambda: evaluate(student, None, test, relay=False))
    table["grpo_relay"] = timed("eval-grpo-relay", lambda: evaluate(student, teacher, test, relay=True,
                                                                    max_turns=gcfg["max_turns"]))
    for k, v in table.items():
        prog.info(f"{k}: {json.dumps(v)}")
    result = {"table": table, "timings_s": timings, "warmup": wstats, "grpo_prompts": dict(filter_stats),
              "grpo_best": grpo_res["best"],
              "params": {"teacher": teacher.n_params(), "student": student.n_params()},
              "configs": {"teacher": tcfg.model.__dict__ | {"sft": tcfg.sft},
                          "student": scfg.model.__dict__ | {"sft": scfg.sft, "warmup": wcfg, "grpo": gcfg}},
              "smoke": smoke}
    timed("export", lambda: export_all(teacher, student, scfg, splits, curves, result, out, publish, prog))
    prog.info(f"total {round(time.time() - prog.t0, 1)}s")
    return result


if __name__ == "__main__":
    sys.exit(main())
