"""One GRPO experiment from the shipped warm-up student, with config overrides; exports the
dev-chosen student as GGUF for `relayllm eval`.

    python3 -m relay_train.experiment --name lr1e-4_kl0.01 --set lr=1e-4 --set kl_coef=0.01

Reads models/reference/stages/warmup/slm.gguf (student after warm-up) and models/reference/llm.gguf
(teacher), runs GRPO (`configs/student.json` → grpo, overridden by each --set key=value), and writes
under training/out/experiments/<name>/: train.log, result.json (per-step curve, dev points, the
chosen step, the config), slm.gguf (the chosen student) and llm.gguf (a link to the teacher), so
that the folder is a models directory for `relayllm eval --models`.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import torch

from . import config, grpo, task
from .gguf import write_gguf
from .gguf_read import load_llama
from .progress import Progress

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HERE)
REFERENCE = os.path.join(ROOT, "models", "reference")
STUDENT_CONFIG = os.path.join(HERE, "configs", "student.json")   # the shipped student's
SPLIT_SEED, TEST_PER_COUNT, DEV_PER_COUNT = 1234, 400, 100   # the pipeline's splits (teacher seed)


def parse_override(text: str, fields: dict, flag: str = "--set") -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or key not in fields:
        raise config.ConfigError(f"{flag} {text!r}: expected key=value with key one of {sorted(fields)}")
    typ = fields[key][0]
    if typ is bool:
        if raw not in ("true", "false"):
            raise config.ConfigError(f"{flag} {key}: expected true or false, got {raw!r}")
        return key, raw == "true"
    if typ is str:
        return key, raw
    try:
        value = float(raw)
    except ValueError:
        raise config.ConfigError(f"{flag} {key}: expected a number, got {raw!r}") from None
    if typ is int and not value.is_integer():
        raise config.ConfigError(f"{flag} {key}: expected an integer, got {raw!r}")
    return key, int(value) if typ is int else value


def student_on_split_cli(argv, doc: str, extra_args=None):
    """A diagnostic's command line (--student, --split, --threads, then `extra_args(parser)`):
    (parsed args, the student loaded from its GGUF, the split's reference answers encoded)."""
    from . import sft
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", required=True)
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--threads", type=int, default=1)
    lookup_arg(ap)
    if extra_args is not None:
        extra_args(ap)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.lookup = resolve_lookup(args.lookup, config.load(STUDENT_CONFIG).lookup)
    task.use_lookup(args.lookup)
    questions = split_questions(args.split)
    return args, load_llama(args.student).eval(), [sft.encode_example(q) for q in questions]


NO_LOOKUP = object()   # --lookup none: the task without a table, over a config's "lookup"


def resolve_lookup(given, fallback: task.Lookup | None) -> task.Lookup | None:
    """The task a CLI reads: --lookup LO:HI[:LOW], the task without a table for --lookup none, or else
    `fallback` (a student config's table; for the split diagnostics, the shipped one's)."""
    if given is NO_LOOKUP:
        return None
    return given if given is not None else fallback


def split_questions(name: str) -> list:
    """The pipeline's "dev" or "test" questions (of the task variant in use)."""
    return task.make_splits(SPLIT_SEED, TEST_PER_COUNT, DEV_PER_COUNT)[name]


def stage_cli(argv, doc: str, section: str, fields: dict, default_student: str | None, extra_args=None,
              adjust_config=None):
    """The experiment CLIs' shared part: --name, --set <section>.<key>=<value>, --student (unless
    `default_student` is None), --teacher,
    --student-config, --threads (and what `extra_args(parser)` adds; `adjust_config(args, student config)`
    returns the student config with those arguments applied, raising ConfigError). Returns (args, student
    config, the overridden section, the output folder), or None after printing a config error; the output
    folder is made only once every argument has been checked."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--set", action="append", default=[], help=f"{section}.<key>=<value> override (key without '{section}.')")
    if default_student is not None:         # None: the stage starts from random weights (SFT)
        ap.add_argument("--student", default=default_student)
    teacher_arg(ap)
    ap.add_argument("--student-config", default=STUDENT_CONFIG)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=None,
                    help="the student config's seed instead of its own (its init and train stream; not the splits)")
    lookup_arg(ap)
    if extra_args is not None:
        extra_args(ap)
    args = ap.parse_args(argv)
    try:
        scfg = student_config(args)
        cfg = dict(getattr(scfg, section))
        cfg.update(parse_override(s, fields) for s in args.set)
        config._check_section("--set", section, cfg, fields)
        if section == "sft":
            config.check_train_keys(cfg, "--set")
        if adjust_config is not None:
            scfg = adjust_config(args, scfg)
    except config.ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return None
    torch.set_num_threads(args.threads)
    return args, scfg, cfg, experiment_dir(args.name)


def student_config(args) -> config.RoleConfig:
    """--student-config with --seed applied, and the task variant set for this process: --lookup, or
    else the config's own "lookup" (raises ConfigError)."""
    scfg = config.load(args.student_config)
    task.use_lookup(resolve_lookup(args.lookup, scfg.lookup))
    if args.seed is None:
        return scfg
    if args.seed < 0:
        raise config.ConfigError(f"--seed {args.seed}: expected a non-negative integer")
    return dataclasses.replace(scfg, seed=args.seed)


def teacher_arg(ap: argparse.ArgumentParser) -> None:
    """--teacher PATH.gguf: the teacher a tool relays to (default: the shipped pair's)."""
    ap.add_argument("--teacher", default=os.path.join(REFERENCE, "llm.gguf"))


def lookup_arg(ap: argparse.ArgumentParser) -> None:
    """--lookup LO:HI[:LOW]: the task variant with a lookup table (task.Lookup) instead of the shipped task."""
    def parse(text: str):
        if text == "none":
            return NO_LOOKUP
        try:
            return task.parse_lookup(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    ap.add_argument("--lookup", type=parse, default=None,
                    help="LO:HI[:LOW], the task variant whose questions look f(key) up for keys LO..HI-1, "
                         "values LOW..99 (task.Lookup; over a student config's \"lookup\"); none: the task "
                         "without a table")


def experiment_dir(name: str) -> str:
    """training/out/experiments/<name>, made if missing: where an experiment writes its models directory."""
    out = os.path.join(HERE, "out", "experiments", name)
    os.makedirs(out, exist_ok=True)
    return out


def experiment_splits() -> tuple[dict, set]:
    """The pipeline's dev/test splits and the question texts they hold out of training."""
    splits = task.make_splits(SPLIT_SEED, TEST_PER_COUNT, DEV_PER_COUNT)
    return splits, {q.text for qs in splits.values() for q in qs}


def finish_models_dir(out: str, teacher_path: str, res: dict) -> None:
    """Links the teacher beside the experiment's slm.gguf, so that `out` is a models directory for
    `relayllm eval --models`, and writes result.json."""
    link = os.path.join(out, "llm.gguf")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.relpath(teacher_path, out), link)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(res, f, indent=1)


def main(argv=None) -> int:
    step0_arg = lambda ap: ap.add_argument(  # noqa: E731
        "--step0", default=None,
        help="ACC,RHO,CALLS: the starting student's dev point from an earlier run of the same student "
             "(skips measuring it again)")
    parsed = stage_cli(argv, __doc__, "grpo", config.GRPO_FIELDS,
                       os.path.join(REFERENCE, "stages", "warmup", "slm.gguf"), step0_arg)
    if parsed is None:
        return 2
    args, scfg, gcfg, out = parsed
    step0 = None
    if args.step0:
        acc, rho, calls = (float(x) for x in args.step0.split(","))
        step0 = {"step": 0, "accuracy": acc, "rho": rho, "calls_per_answer": calls}
    run(args.student, args.teacher, gcfg, scfg.seed, out, step0)
    return 0


def run(student_path: str, teacher_path: str, gcfg: dict, seed: int, out: str, step0: dict | None = None) -> dict:
    prog = Progress(os.path.join(out, "train.log"))
    prog.info(f"grpo config: {json.dumps(gcfg)} student {student_path}")
    student, teacher = load_llama(student_path), load_llama(teacher_path)
    splits, held_out = experiment_splits()
    frozen = load_llama(student_path)
    keep = grpo.make_filter(gcfg["prompt_filter"], frozen, teacher, gcfg, seed)
    filter_stats: dict = {}
    prompts = grpo.fresh_prompts(task.train_sampler(seed + 3, held_out), keep, gcfg["filter_batch"], filter_stats)
    torch.manual_seed(seed + 4)
    prog.begin("grpo")
    t0 = time.time()
    # an interrupted run still leaves its best student so far
    on_best = lambda model, point: write_gguf(os.path.join(out, "slm.gguf"), model, f"grpo-experiment-step{point['step']}")
    res = grpo.train(student, teacher, prompts, splits["dev"], gcfg, seed, prog, on_best, step0)
    res |= {"seconds": round(time.time() - t0, 1), "filter": filter_stats, "config": gcfg, "student": student_path}
    prog.info(f"done in {res['seconds']}s; filter kept {filter_stats.get('kept')} of {filter_stats.get('seen')}; "
              f"chosen on dev: {json.dumps(res['best'])}")
    torch.save(student.state_dict(), os.path.join(out, "student-grpo.pt"))
    write_gguf(os.path.join(out, "slm.gguf"), student, "relayllm-reference-slm-grpo-experiment")
    finish_models_dir(out, teacher_path, res)
    return res


if __name__ == "__main__":
    sys.exit(main())
