"""Export: GGUF files, parity fixtures for the TypeScript test, curves, metrics and the model card."""
from __future__ import annotations

import json
import os
import random
import shutil

import torch

from . import task
from .card import model_card
from .gguf import write_gguf
from .stages import export_stages
from .plots import line_chart
from .tokenizer import BOS, EOS, encode

PARITY_EXTRA = ["Compute <call>5</call>+1.\n", "h\u00e9llo \u2713 <call>9999</call>\n", "\n", "<s></s><call>",
                "Compute 99*99*9.\n", "Compute 0-99-99-99.\n", "The quick brown fox\n", "12345678901234567890"]


@torch.no_grad()
def greedy_plain(model, ids: list[int], n: int) -> list[int]:
    """Plain greedy decoding, no bans: what llama.cpp does with temperature 0."""
    cache = model.new_cache(1, len(ids) + n + 1)
    out, logits = [], None
    for p, t in enumerate(ids):
        logits = model.step(torch.tensor([t]), torch.tensor([p]), cache)
    for p in range(len(ids), len(ids) + n):
        t = int(logits.argmax(-1))
        out.append(t)
        if t == EOS:
            break
        logits = model.step(torch.tensor([t]), torch.tensor([p]), cache)
    return out


def parity_questions(seed: int) -> list[task.Question]:
    """16 fixed questions (never in test/dev: they need not be; parity is about the engine)."""
    rng = random.Random(seed)
    return [task.sample_question(rng, 2 + i % 3) for i in range(16)]


@torch.no_grad()
def parity_cases(model, questions) -> list[dict]:
    texts = [task.prompt_text(q.text) for q in questions] + PARITY_EXTRA
    cases = []
    for text in texts:
        ids = [BOS] + encode(text)
        probs = torch.softmax(model(torch.tensor([ids]))[0, -1].double(), -1)
        cases.append({"prompt": text, "tokens": ids, "greedy": greedy_plain(model, ids, 40),
                      "probs": [round(float(p), 9) for p in probs]})
    return cases


def export_all(teacher, student, student_cfg, splits, curves, result, out: str, publish: str | None, prog) -> None:
    exp = os.path.join(out, "export")
    os.makedirs(exp, exist_ok=True)
    write_gguf(os.path.join(exp, "llm.gguf"), teacher, "relayllm-reference-llm")
    write_gguf(os.path.join(exp, "slm.gguf"), student, "relayllm-reference-slm")
    with open(os.path.join(exp, "parity.json"), "w") as f:
        json.dump({"llm": parity_cases(teacher, parity_questions(1)), "slm": parity_cases(student, parity_questions(2))}, f)
    curve_dir = os.path.join(exp, "curves")
    os.makedirs(curve_dir, exist_ok=True)
    line_chart(os.path.join(curve_dir, "sft_loss.svg"), "SFT loss (answer tokens)",
               {k: [(float(s), l) for s, l in curves[k]] for k in ("teacher_sft", "student_sft")}, "step", "loss")
    dev = {k: [(float(s), a) for s, a in curves[f"{k}_dev"]] for k in ("teacher_sft", "student_sft") if curves[f"{k}_dev"]}
    if dev:
        line_chart(os.path.join(curve_dir, "sft_dev_accuracy.svg"), "SFT: greedy accuracy alone on dev", dev, "step", "accuracy")
    line_chart(os.path.join(curve_dir, "warmup_loss.svg"), "Warm-up SFT loss (student tokens)",
               {name.removesuffix("_sft").replace("_", " "): [(float(s), l) for s, l in curve]
                for name, curve in curves.items() if name.startswith("warmup")}, "step", "loss")
    g = curves["grpo"]
    line_chart(os.path.join(curve_dir, "grpo_reward.svg"), "GRPO (rollouts at sampling temperature)",
               {"mean reward": [(s, r) for s, r, *_ in g], "accuracy": [(s, a) for s, _, a, *_ in g],
                "rho": [(c[0], c[3]) for c in g],
                "dev accuracy (greedy relay)": [(d["step"], d["accuracy"]) for d in curves.get("grpo_dev", [])]},
               "step", "value")
    with open(os.path.join(exp, "metrics.json"), "w") as f:
        json.dump(result | {"curves": curves}, f, indent=1)
    with open(os.path.join(exp, "MODEL_CARD.md"), "w") as f:
        f.write(model_card(result))
    for name in ("test", "dev"):
        shutil.copy(os.path.join(out, "data", f"{name}.jsonl"), os.path.join(exp, f"{name}.jsonl"))
    sizes = {n: os.path.getsize(os.path.join(exp, n)) for n in ("llm.gguf", "slm.gguf")}
    prog.info(f"GGUF sizes: {sizes}")
    if publish:
        os.makedirs(os.path.join(publish, "curves"), exist_ok=True)
        os.makedirs(os.path.join(publish, "data"), exist_ok=True)
        for n in ("llm.gguf", "slm.gguf", "parity.json", "metrics.json", "MODEL_CARD.md"):
            shutil.copy(os.path.join(exp, n), os.path.join(publish, n))
        for n in os.listdir(curve_dir):
            shutil.copy(os.path.join(curve_dir, n), os.path.join(publish, "curves", n))
        for n in ("test", "dev"):
            shutil.copy(os.path.join(exp, f"{n}.jsonl"), os.path.join(publish, "data", f"{n}.jsonl"))
        shutil.copy(os.path.join(out, "train.log"), os.path.join(publish, "train.log"))
        prog.info(f"published to {publish}")
    export_stages(student_cfg, out, publish)
