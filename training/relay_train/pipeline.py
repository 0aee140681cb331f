"""`python3 -m relay_train.pipeline [--smoke] [--out DIR]`: rebuild the reference pair from scratch.

Stages: splits -> teacher SFT -> student SFT -> warm-up (stage 1: a first round, then self-placed
rounds) -> GRPO (stage 2)
-> evaluation table -> GGUF export + parity fixtures + model card + curves.
Seeded end to end. `--smoke` runs every stage with tiny step counts into --out. `--teacher-from DIR` takes the
teacher from a published pair instead of training it (`teacher_seed.py`). The two SFTs train side by side, each
on half the threads (`side_by_side.py`), unless `--sft-in-turn`.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import sys
import time

import torch

from . import blas, config, grpo, self_labels, sft, side_by_side, task, teacher_seed, warmup
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
    # Part of the recipe, not a machine setting: the same seed trained on another thread count differs in the
    # last bits within a few steps (reductions split differently), and thousands of steps make that another model.
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads (default 2, what the shipped pair's recipe assumes; another count gives another draw)")
    ap.add_argument("--resume", action="store_true", help="reuse stage checkpoints already in --out "
                    "(teacher-sft.pt, student-sft.pt, student-warmup.pt, student-warmup-round<k>.pt)")
    ap.add_argument("--teacher-from", default=None, metavar="PAIR_DIR",
                    help="take the teacher from a published pair (PAIR_DIR/llm.gguf, e.g. models/reference) instead of "
                         "training it: the student stages then run as a whole run would, about an hour sooner")
    ap.add_argument("--sft-in-turn", action="store_true",
                    help="train the teacher's SFT, then the student's, each on every thread (default: both at once, "
                         "each on half the threads, side_by_side.py; a thread count is part of the draw, so the "
                         "two give different models)")
    args = ap.parse_args(argv)
    try:
        tcfg = config.load(args.teacher_config, smoke=args.smoke)
        scfg = config.load(args.student_config, smoke=args.smoke)
        if tcfg.role != "teacher" or scfg.role != "student":
            raise config.ConfigError("teacher config must have role 'teacher' and student config role 'student'")
        if tcfg.lookup != scfg.lookup:     # one task for both: the teacher answers the student's questions
            raise config.ConfigError(f"the configs' lookup tables differ: teacher {tcfg.lookup}, student {scfg.lookup}")
        task.use_lookup(tcfg.lookup)
        for path, cfg in ((args.teacher_config, tcfg), (args.student_config, scfg)):
            config.check_train_keys(cfg.sft, path)
        os.makedirs(args.out, exist_ok=True)
        if args.teacher_from:
            teacher_seed.seed_teacher(args.teacher_from, tcfg, args.out)
    except config.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    publish = args.publish or (None if args.smoke else os.path.join(ROOT, "models", "reference"))
    torch.set_num_threads(args.threads)
    run(tcfg, scfg, args.out, publish, args.smoke, args.resume, teacher_seeded=bool(args.teacher_from),
        sft_side_by_side=not args.sft_in_turn)
    return 0


class Stages:
    """One pipeline run's work dir, log and stage timings, and whether stage checkpoints are reused."""

    def __init__(self, out: str, resume: bool, teacher_seeded: bool = False, log_name: str = "train.log"):
        self.out, self.resume, self.teacher_seeded = out, resume, teacher_seeded
        self.prog = Progress(os.path.join(out, log_name))
        self.timings: dict = {}

    def timed(self, name, fn):
        self.prog.begin(name)
        t = time.time()
        res = fn()
        self.timings[name] = round(time.time() - t, 1)
        self.prog.info(f"{name} done in {self.timings[name]}s")
        return res


def write_splits(tcfg, smoke: bool, out: str) -> tuple[dict, set]:
    """The seeded test/dev splits, written as JSONL under out/data, and the texts held out of training."""
    per_test, per_dev = (20, 5) if smoke else (400, 100)
    splits = task.make_splits(tcfg.seed, per_test, per_dev)
    data_dir = os.path.join(out, "data")
    os.makedirs(data_dir, exist_ok=True)
    for name, qs in splits.items():
        task.write_jsonl(os.path.join(data_dir, f"{name}.jsonl"), qs)
    return splits, {q.text for qs in splits.values() for q in qs}


def train_sft(st: Stages, cfg, held_out: set, dev: list, saved_by_side: bool = False, at_step=None,
              backward=sft.local_backward):
    """SFT of one model on reference answers (or its checkpoint with --resume, or the one a side-by-side
    process just wrote); (model, loss curve, [(step, greedy accuracy alone on `dev`)] every sft.dev_every steps).
    `at_step(k)` runs after step k, after the dev measurement, and `backward` computes each step's gradients
    (`sft.train_steps`): side_by_side's data-parallel teacher (data_parallel.py) gives both."""
    torch.manual_seed(cfg.seed)
    model = Llama(cfg.model)
    ckpt = os.path.join(st.out, f"{cfg.role}-sft.pt")
    seeded = cfg.role == "teacher" and st.teacher_seeded
    if (st.resume or seeded or saved_by_side) and os.path.exists(ckpt):
        saved = torch.load(ckpt)
        model.load_state_dict(saved["model"])
        st.timings[f"{cfg.role}-sft-resumed"] = saved["seconds"]
        st.prog.info(f"resumed {ckpt} (trained in {saved['seconds']}s{', from ' + saved['from'] if 'from' in saved else ''})")
        return model.eval(), saved["curve"], saved.get("dev", [])
    batches = sft.bucketed_batches(task.train_sampler(cfg.seed, held_out, cfg.sft["train_keys_below"]),
                                   cfg.sft["batch_size"],
                                   example=self_labels.context_command_examples(cfg.sft, cfg.seed))
    dev_curve, measure_dev = sft.dev_tracker(model, cfg.sft["steps"], cfg.sft["dev_every"],
                                             lambda m: evaluate(m, None, dev, relay=False)["accuracy"], st.prog)
    hooks = [hook for hook in (measure_dev, at_step) if hook is not None]

    def after_step(k: int) -> None:
        for hook in hooks:
            hook(k)
    t0 = time.time()
    curve = sft.train_steps(model, batches, cfg.sft["steps"], cfg.sft["lr"], cfg.sft["warmup_steps"],
                            cfg.sft["weight_decay"], st.prog, after_step=after_step, backward=backward)
    torch.save({"model": model.state_dict(), "curve": curve, "dev": dev_curve,
                "seconds": round(time.time() - t0, 1)}, ckpt)
    return model, curve, dev_curve


def train_sfts_in_turn(st: Stages, tcfg, scfg, held_out: set, dev: list) -> tuple[tuple, tuple]:
    """(teacher, student) SFT results of `train_sft`, the teacher's first, on every thread."""
    return (st.timed("teacher-sft", lambda: train_sft(st, tcfg, held_out, dev)),
            st.timed("student-sft", lambda: train_sft(st, scfg, held_out, dev)))


def train_warmup(st: Stages, student, teacher, scfg, held_out: set, curves: dict) -> list[dict]:
    """Stage 1 on `student` in place, every round (or their checkpoints with --resume); each round's transcript stats."""
    return [train_warmup_round(st, student, teacher, wcfg, scfg.seed, held_out, ckpt, name, curves)
            for ckpt, name, wcfg in warmup.rounds(scfg)]


def train_warmup_round(st: Stages, student, teacher, wcfg: dict, seed: int, held_out: set, ckpt: str, name: str,
                       curves: dict) -> dict:
    """One warm-up round on `student` in place (or its checkpoint with --resume); its transcript stats.
    Curve "<name>_sft", timings "<name>-<part>" for each part the round ran (data, served, sft)."""
    warmup_ckpt = os.path.join(st.out, ckpt)
    saved = torch.load(warmup_ckpt) if st.resume and os.path.exists(warmup_ckpt) else None
    curve_key = f"{name.replace('-', '_')}_sft"
    if saved is not None and "curve" in saved:
        # --resume: this round of this same student SFT checkpoint (its transcripts and steps).
        student.load_state_dict(saved["model"])
        student.eval()
        curves[curve_key], wstats = saved["curve"], saved["stats"]
        for saved_name, seconds in saved["seconds"].items():
            st.timings[f"{name}{saved_name.removeprefix('warmup')}-resumed"] = seconds
        st.prog.info(f"resumed {warmup_ckpt} (transcripts {wstats}, times {saved['seconds']})")
        return wstats
    parts = []

    def timed(part, fn):
        parts.append(part)
        return st.timed(f"{name}-{part}", fn)

    curves[curve_key], wstats = warmup.train_round(student, teacher, wcfg, seed, held_out, st.prog, timed)
    # saved under the names warmup_experiment writes, so that its runs can seed a --resume
    torch.save({"model": student.state_dict(), "curve": curves[curve_key], "stats": wstats,
                "seconds": {f"warmup-{part}": st.timings[f"{name}-{part}"] for part in parts}}, warmup_ckpt)
    return wstats


def train_grpo(st: Stages, student, teacher, scfg, held_out: set, dev, curves: dict) -> tuple[dict, dict]:
    """Stage 2 on `student` in place, from fresh filtered prompts; (grpo.train's result, filter stats)."""
    gcfg = scfg.grpo
    frozen_warmup = copy.deepcopy(student).eval()
    keep = grpo.make_filter(gcfg["prompt_filter"], frozen_warmup, teacher, gcfg, scfg.seed)
    filter_stats: dict = {}
    prompts = grpo.fresh_prompts(task.train_sampler(scfg.seed + 3, held_out), keep, gcfg["filter_batch"], filter_stats)
    # the filter runs as the stream is read; this stage primes it so the log shows its pass rate early
    first = st.timed("grpo-filter", lambda: next(prompts))
    st.prog.info(f"GRPO prompt filter '{gcfg['prompt_filter']}': kept {filter_stats['kept']} of the first {filter_stats['seen']}")
    torch.manual_seed(scfg.seed + 4)
    grpo_res = st.timed("grpo", lambda: grpo.train(student, teacher, itertools.chain([first], prompts), dev,
                                                   gcfg, scfg.seed, st.prog))
    curves["grpo"], curves["grpo_dev"] = grpo_res["curve"], grpo_res["dev"]
    st.prog.info(f"GRPO prompts: kept {filter_stats['kept']} of {filter_stats['seen']} fresh questions; "
                 f"chosen on dev: step {grpo_res['best']['step']}")
    torch.save(student.state_dict(), os.path.join(st.out, "student-grpo.pt"))
    return grpo_res, filter_stats


def run(tcfg, scfg, out: str, publish: str | None, smoke: bool, resume: bool = False,
        teacher_seeded: bool = False, sft_side_by_side: bool = True) -> dict:
    st = Stages(out, resume, teacher_seeded)
    prog = st.prog
    kernels = blas.core_name()
    prog.info(f"start: smoke={smoke} out={out} threads={torch.get_num_threads()} blas={kernels}")
    if kernels != blas.PINNED_CORE:
        prog.info(f"BLAS kernels {kernels}, not {blas.PINNED_CORE}: this run is another draw than the shipped pair")
    curves, table = {}, {}
    splits, held_out = write_splits(tcfg, smoke, out)
    test = splits["test"]
    train_both = side_by_side.train_both if sft_side_by_side else train_sfts_in_turn
    (teacher, curves["teacher_sft"], curves["teacher_sft_dev"]), (student, curves["student_sft"], curves["student_sft_dev"]) = (
        train_both(st, tcfg, scfg, held_out, splits["dev"]))
    prog.info(f"params: teacher {teacher.n_params()} student {student.n_params()}")
    table["teacher"] = st.timed("eval-teacher", lambda: evaluate(teacher, None, test, relay=False))
    table["student"] = st.timed("eval-student", lambda: evaluate(student, None, test, relay=False))
    wstats = train_warmup(st, student, teacher, scfg, held_out, curves)
    table["warmup_relay"] = st.timed("eval-warmup", lambda: evaluate(student, teacher, test, relay=True))
    grpo_res, filter_stats = train_grpo(st, student, teacher, scfg, held_out, splits["dev"], curves)
    table["grpo_blocked"] = st.timed("eval-grpo-alone", lambda: evaluate(student, None, test, relay=False))
    table["grpo_relay"] = st.timed("eval-grpo-relay", lambda: evaluate(student, teacher, test, relay=True,
                                                                       max_turns=scfg.grpo["max_turns"]))
    for k, v in table.items():
        prog.info(f"{k}: {json.dumps(v)}")
    result = {"table": table, "timings_s": st.timings, "warmup": wstats[0], "warmup_rounds": wstats[1:],
              "grpo_prompts": dict(filter_stats),
              "grpo_best": grpo_res["best"],
              "sft_dev": {"teacher": curves["teacher_sft_dev"], "student": curves["student_sft_dev"]},
              "params": {"teacher": teacher.n_params(), "student": student.n_params()},
              "threads": torch.get_num_threads(), "sft_side_by_side": sft_side_by_side,
              "lookup": config.lookup_fields(tcfg.lookup),
              "configs": {"teacher": tcfg.model.__dict__ | {"sft": tcfg.sft},
                          "student": scfg.model.__dict__ | {"sft": scfg.sft, "warmup": scfg.warmup,
                                                                   "self_rounds": scfg.self_rounds, "grpo": scfg.grpo}},
              "smoke": smoke}
    st.timed("export", lambda: export_all(teacher, student, scfg, splits, curves, result, out, publish, prog))
    prog.info(f"total {round(time.time() - prog.t0, 1)}s")
    return result

if __name__ == "__main__":
    sys.exit(main())
