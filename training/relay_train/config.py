"""Per-model training configs (JSON), validated once with errors that name the field."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from . import task
from .model import ModelConfig
from .tokenizer import VOCAB_SIZE


class ConfigError(ValueError):
    pass


# field -> (type, min, max); for str: (str, allowed values, None)
MODEL_FIELDS = {"dim": (int, 8, 4096), "n_layers": (int, 1, 64), "n_heads": (int, 1, 64),
                "ffn_dim": (int, 8, 16384), "max_seq_len": (int, 32, 8192)}
SFT_FIELDS = {"steps": (int, 1, 10**7), "batch_size": (int, 1, 4096), "lr": (float, 1e-6, 1.0),
              "warmup_steps": (int, 0, 10**6), "weight_decay": (float, 0.0, 1.0),
              # answers with context-only commands (self_labels.context_command_examples); share 0: none
              "context_commands_share": (float, 0.0, 1.0), "context_commands_max": (int, 1, 8),
              # greedy accuracy alone on the dev split every this many steps and at the last (0: never)
              "dev_every": (int, 0, 10**6),
              # the lookup variant only: train questions ask keys below this (0: every key; task.train_sampler)
              "train_keys_below": (int, 0, 10**9),
              # the teacher's SFT beside the student's (side_by_side.py): after this many steps, each batch
              # split with a helper process once the student's SFT is done (data_parallel.py; 0: never)
              "data_parallel_from": (int, 0, 10**7)}
WARMUP_FIELDS = {"transcripts": (int, 1, 10**7), "steps": (int, 1, 10**7), "batch_size": (int, 1, 4096),
                 "lr": (float, 1e-6, 1.0), "max_calls": (int, 0, 3), "temperature": (float, 0.01, 2.0),
                 "placement_scale": (float, 0.0, 100.0), "short_share": (float, 0.0, 1.0),
                 "hide_commands": (bool, False, True), "reference_share": (float, 0.0, 0.9),
                 "reference_calls": (float, 0.0, 1.0), "digit_decay": (float, 0.05, 1.0),
                 "reference_placement_scale": (float, 0.0, 100.0), "reference_teacher_loss": (bool, False, True),
                 "reference_placement": (str, ("uncertain", "number_tail", "number_tail_error", "number_tail_self"), None),
                 "reference_threshold": (float, 0.0, 1.0), "reference_max_calls": (int, 0, 4), "silent_calls": (int, 0, 4),
                 "served_pool": (int, 0, 10**6), "served_share": (float, 0.0, 1.0)}
GRPO_FIELDS = {"steps": (int, 1, 10**6), "prompts_per_step": (int, 1, 1024), "group_size": (int, 2, 64),
               "lr": (float, 1e-7, 1.0), "kl_coef": (float, 0.0, 10.0), "max_turns": (int, 1, 16),
               "max_new_tokens": (int, 8, 4096), "temperature": (float, 0.01, 2.0),
               "prompt_filter": (str, ("none", "teacher", "calls_matter"), None), "filter_samples": (int, 1, 64),
               "filter_batch": (int, 1, 4096), "reward": (str, ("difficulty", "cost", "cost_all", "counterfactual"), None),
               "call_cost": (float, 0.0, 100.0), "std_normalize": (bool, False, True), "dev_every": (int, 1, 10**6),
               "call_waste_penalty": (float, 0.0, 100.0), "call_need_bonus": (float, 0.0, 100.0),
               "select": (str, ("accuracy", "reward"), None), "explore": (str, ("tokens", "decisions"), None),
               "trained": (str, ("all", "call_row"), None),
               # "decisions" exploration beyond the policy's odds where the student is unsure (rollout.ExploreFloor;
               # floor 0: none), and how the loss weighs those decisions (grpo.explore_weights)
               "explore_floor": (float, 0.0, 0.49), "explore_below": (float, 0.0, 1.0),
               "explore_weight": (str, ("importance", "none"), None),
               # with every weight trained: the lead each written digit keeps over the others (grpo_trained.margin_shortfall;
               # 0: no such hinge) and the hinge's weight against the decisions' gain
               "digit_margin": (float, 0.0, 50.0), "margin_coef": (float, 0.0, 1000.0),
               # with every weight trained: the step of every weight but the `<call>` row (grpo_trained.GrpoOptimizer; 0: lr)
               "body_lr": (float, 0.0, 1.0)}
# Warm-up rounds after the first: each starts from the previous round's student and places the
# commands in its reference answers where that student itself errs (warmup.self_round_config).
SELF_ROUNDS_FIELDS = {"rounds": (int, 0, 20), "transcripts": (int, 1, 10**7), "steps": (int, 1, 10**7),
                      "lr": (float, 1e-6, 1.0), "reference_threshold": (float, 0.0, 1.0), "silent_calls": (int, 0, 4),
                      "served_pool": (int, 0, 10**6), "served_share": (float, 0.0, 1.0)}
# The task variant (task.Lookup); a role config without "lookup" trains the shipped task.
LOOKUP_FIELDS = {"lo": (int, 0, 10**9), "hi": (int, 1, 10**9), "low": (int, 0, 99), "seed": (int, 0, 2**31 - 1)}
SECTIONS = {"model": MODEL_FIELDS, "sft": SFT_FIELDS, "warmup": WARMUP_FIELDS, "self_rounds": SELF_ROUNDS_FIELDS,
            "grpo": GRPO_FIELDS}
ROLE_SECTIONS = {"teacher": ("model", "sft"), "student": ("model", "sft", "warmup", "self_rounds", "grpo")}


def _check_grpo_combinations(path: str, grpo: dict) -> None:
    """Fields that only mean something with another field's value (a value that would be ignored is refused)."""
    needs = [("explore_floor", "explore", "decisions"), ("digit_margin", "explore", "decisions"),
             ("digit_margin", "trained", "all"), ("body_lr", "trained", "all")]
    for key, other, value in needs:
        if grpo[key] and grpo[other] != value:
            raise ConfigError(f"{path}: 'grpo.{key}' needs {other} \"{value}\", got {grpo[other]!r}")


def _check_section(path: str, name: str, raw: Any, fields: dict) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: '{name}' must be an object")
    unknown = set(raw) - set(fields)
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {sorted(unknown)} in '{name}'")
    out = {}
    for key, (typ, lo, hi) in fields.items():
        if key not in raw:
            raise ConfigError(f"{path}: missing field '{name}.{key}'")
        val = raw[key]
        if typ is float and isinstance(val, int) and not isinstance(val, bool):
            val = float(val)
        if typ is str:
            if val not in lo:
                raise ConfigError(f"{path}: '{name}.{key}' must be one of {list(lo)}, got {val!r}")
            out[key] = val
            continue
        if typ is bool:
            if not isinstance(val, bool):
                raise ConfigError(f"{path}: '{name}.{key}' must be true or false, got {val!r}")
            out[key] = val
            continue
        if not isinstance(val, typ) or isinstance(val, bool):
            raise ConfigError(f"{path}: '{name}.{key}' must be {typ.__name__}, got {val!r}")
        if not lo <= val <= hi:
            raise ConfigError(f"{path}: '{name}.{key}' = {val} is outside [{lo}, {hi}]")
        out[key] = val
    if name == "grpo":
        _check_grpo_combinations(path, out)
    for key in ("silent_calls", "served_pool"):
        if name == "warmup" and out[key] and out["reference_placement"] != "number_tail_self":
            # only the self-placed labels are computed with context-only commands in context
            raise ConfigError(f"{path}: 'warmup.{key}' needs reference_placement \"number_tail_self\", "
                              f"got {out['reference_placement']!r}")
    return out


@dataclass
class RoleConfig:
    role: str
    seed: int
    model: ModelConfig
    sft: dict
    warmup: dict | None
    self_rounds: dict | None
    grpo: dict | None
    smoke: dict
    lookup: task.Lookup | None = None


def load(path: str, smoke: bool = False) -> RoleConfig:
    try:
        with open(path) as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: invalid JSON ({e})") from None
    role = raw.get("role")
    if role not in ROLE_SECTIONS:
        raise ConfigError(f"{path}: 'role' must be one of {sorted(ROLE_SECTIONS)}, got {role!r}")
    seed = raw.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"{path}: 'seed' must be a non-negative integer")
    allowed = {"role", "seed", "smoke", "lookup", *ROLE_SECTIONS[role]}
    unknown = set(raw) - allowed
    if unknown:
        raise ConfigError(f"{path}: unknown top-level field(s) {sorted(unknown)}")
    smoke_over = raw.get("smoke", {})
    if not isinstance(smoke_over, dict):
        raise ConfigError(f"{path}: 'smoke' must be an object of per-section overrides")
    sections = {}
    for name in ROLE_SECTIONS[role]:
        if name not in raw:
            raise ConfigError(f"{path}: missing section '{name}'")
        merged = dict(raw[name])
        if smoke:
            merged.update(smoke_over.get(name, {}))
        sections[name] = _check_section(path, name, merged, SECTIONS[name])
    _check_data_parallel_from(path, role, sections["sft"])
    return RoleConfig(role, seed, _model_config(path, sections["model"]), sections["sft"],
                      sections.get("warmup"), sections.get("self_rounds"), sections.get("grpo"), smoke_over,
                      _lookup(path, raw.get("lookup")))


def lookup_fields(spec: task.Lookup | None) -> dict | None:
    """A table as a config writes it (None: the shipped task): what metrics.json records."""
    return None if spec is None else {name: getattr(spec, name) for name in LOOKUP_FIELDS}


def _lookup(path: str, raw: Any) -> task.Lookup | None:
    if raw is None:
        return None
    try:
        return task.Lookup(**_check_section(path, "lookup", raw, LOOKUP_FIELDS))
    except ValueError as e:
        raise ConfigError(f"{path}: {e}") from None


def _model_config(path: str, m: dict) -> ModelConfig:
    if m["dim"] % m["n_heads"] or (m["dim"] // m["n_heads"]) % 2:
        raise ConfigError(f"{path}: 'model.dim' must split into n_heads heads of even size")
    return ModelConfig(VOCAB_SIZE, **m)


def _check_data_parallel_from(path: str, role: str, sft: dict) -> None:
    """Only the teacher's SFT has a process beside it whose core frees up (the student's); the student's
    SFT is the one that ends first."""
    if sft["data_parallel_from"] and role != "teacher":
        raise ConfigError(f"{path}: 'sft.data_parallel_from' applies to the teacher's SFT only, got "
                          f"{sft['data_parallel_from']} for the {role}")
    if sft["data_parallel_from"] >= sft["steps"]:
        raise ConfigError(f"{path}: 'sft.data_parallel_from' = {sft['data_parallel_from']} must be below "
                          f"'sft.steps' = {sft['steps']} (0: never)")


def with_model(cfg: RoleConfig, overrides: dict, path: str = "--model") -> RoleConfig:
    """`cfg` with its model section's fields replaced by `overrides` (e.g. {"dim": 24}), validated
    as a config file's model section is; the sizes of an experiment's student."""
    current = {key: getattr(cfg.model, key) for key in MODEL_FIELDS}
    merged = _check_section(path, "model", current | overrides, MODEL_FIELDS)
    return dataclasses.replace(cfg, model=_model_config(path, merged))


def check_train_keys(sft: dict, where: str) -> None:
    """`sft.train_keys_below` against the task variant this process uses (`task.use_lookup`, set
    after the configs load): 0, or a bound inside its lookup table."""
    try:
        task.check_keys_below(sft["train_keys_below"])
    except ValueError as e:
        raise ConfigError(f"{where}: sft.{e}") from None
