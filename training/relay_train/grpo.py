"""Paper stage 2: GRPO with the difficulty-aware group reward, rollouts on the real relay protocol.

Reward per prompt group (not per batch), rho = teacher-written tokens / response tokens:
  - some sample correct without a call: correct-no-call 1.5, correct-with-call 1 - rho, wrong 0;
  - else some sample correct with a call: correct-with-call 1 - rho, wrong-without-call -1, other 0;
  - else: rho for samples that called, 0 for the rest.
Teacher-written tokens are masked out of the policy loss; a KL term (k3 estimator)
keeps the policy near the warm-up model. Prompts are kept only when the teacher
solves them in at least `filter_min_correct` of `filter_samples` samples.
"""
from __future__ import annotations

import copy
import time

import torch

from . import sft, task
from .evaluate import prompt_ids
from .rollout import rollout


def group_rewards(samples: list[tuple[bool, bool, float]]) -> list[float]:
    """samples: (correct, called, rho) for one prompt's group."""
    if any(c and not called for c, called, _ in samples):
        return [(1.5 if not called else 1.0 - rho) if c else 0.0 for c, called, rho in samples]
    if any(c and called for c, called, _ in samples):
        return [1.0 - rho if c else (-1.0 if not called else 0.0) for c, called, rho in samples]
    return [rho if called else 0.0 for _, called, rho in samples]


def filter_prompts(teacher, sampler, cfg: dict, seed: int, progress, max_new_tokens: int):
    """Keep prompts the teacher solves in >= filter_min_correct of filter_samples samples."""
    cands = [next(sampler) for _ in range(cfg["filter_candidates"])]
    k = cfg["filter_samples"]
    kept, batch = [], max(1, 512 // k)
    for i in range(0, len(cands), batch):
        chunk = cands[i:i + batch]
        prompts = [prompt_ids(q) for q in chunk for _ in range(k)]
        trs = rollout(teacher, None, prompts, max_new_tokens=max_new_tokens, temperature=cfg["temperature"],
                      relay=False, seed=seed + i)
        for j, q in enumerate(chunk):
            ok = sum(task.is_correct(tr.text, task.solve(q)[1]) for tr in trs[j * k:(j + 1) * k])
            if ok >= cfg["filter_min_correct"]:
                kept.append(q)
        progress(min(i + batch, len(cands)), len(cands), f"kept {len(kept)}")
    return kept


def _logprobs(model, tokens):
    logits = model(tokens[:, :-1])
    return torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None])[..., 0]


def train(student, teacher, pool: list[task.Question], cfg: dict, seed: int, progress):
    """Returns per-step stats [(step, mean reward, accuracy, rho, calls/answer, kl)]."""
    ref = copy.deepcopy(student).eval()
    opt = sft.make_optimizer(student, cfg["lr"], 0.0)
    g, n_p = cfg["group_size"], cfg["prompts_per_step"]
    curve, t0 = [], time.time()
    for step in range(cfg["steps"]):
        qs = [pool[(step * n_p + j) % len(pool)] for j in range(n_p)]
        prompts = [prompt_ids(q) for q in qs for _ in range(g)]
        student.eval()
        trs = rollout(student, teacher, prompts, max_new_tokens=cfg["max_new_tokens"], temperature=cfg["temperature"],
                      relay=True, max_turns=cfg["max_turns"], seed=seed * 100003 + step)
        stats = [(task.is_correct(tr.text, task.solve(qs[i // g])[1]), len(tr.calls) > 0, tr.rho)
                 for i, tr in enumerate(trs)]
        rewards, adv = [], []
        for j in range(n_p):
            r = torch.tensor(group_rewards(stats[j * g:(j + 1) * g]))
            rewards += r.tolist()
            std = r.std()
            adv += ((r - r.mean()) / (std + 1e-4) if std > 1e-6 else torch.zeros_like(r)).tolist()
        seqs = [tr.prompt + tr.response for tr in trs]
        masks = [[0.0] * len(tr.prompt) + [0.0 if s == "T" else 1.0 for s in tr.source] for tr in trs]
        tokens, mask = sft.pad_batch(seqs, masks)
        m = mask[:, 1:]
        student.train()
        logp = _logprobs(student, tokens)
        with torch.no_grad():
            ref_logp = _logprobs(ref, tokens)
        d = ref_logp - logp
        kl = torch.exp(d) - d - 1
        a = torch.tensor(adv)[:, None]
        loss = -((a * logp - cfg["kl_coef"] * kl) * m).sum() / m.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        acc = sum(s[0] for s in stats) / len(stats)
        rho = sum(tr.teacher_tokens for tr in trs) / max(1, sum(len(tr.response) for tr in trs))
        cpa = sum(len(tr.calls) for tr in trs) / len(trs)
        klv = float((kl * m).sum() / m.sum().clamp(min=1))
        curve.append((step + 1, sum(rewards) / len(rewards), acc, rho, cpa, klv))
        progress(step + 1, cfg["steps"], f"reward {curve[-1][1]:.3f} acc {acc:.3f} rho {rho:.4f} "
                 f"calls {cpa:.2f} kl {klv:.4f} {(step + 1) / (time.time() - t0):.2f} it/s")
    student.eval()
    return curve
