"""Paper stage 2: GRPO on the real relay protocol, fresh prompts every step, checkpoint chosen on dev.

Prompts: an endless stream of train questions, each used once (`fresh_prompts` never yields a
question twice), kept only where calls can matter (`prompt_filter`):
  - "calls_matter": the teacher solves it (greedy) and the frozen warm-up student alone (calls
    blocked) fails at least once in `filter_samples` samples at the rollout temperature;
  - "teacher": the teacher solves it (greedy); "none": every question.

Rewards per prompt group, rho = teacher-written tokens / response tokens of the sample:
  - "difficulty" (the paper's difficulty-aware reward, `group_rewards`);
  - "cost": correct 1 - call_cost * rho, wrong 0 (`cost_rewards`; call_cost 0 is plain correctness);
  - "cost_all": the same, and a wrong answer pays for its teacher tokens too: -call_cost * rho, so
    that calls in answers that end wrong anyway (a third of the warm-up's teacher tokens) have a price;
  - "counterfactual": "cost", and each call of a correct rollout is replayed blocked: the command
    tokens of a call whose blocking leaves the answer correct get -call_waste_penalty, those of a
    needed call the rollout's advantage + call_need_bonus (`call_credit.py`).
Exploration (`explore`): "tokens" samples every student token at the rollout temperature and trains
on each; "decisions" decodes greedily, as serving does, except for each call decision (`<call>` or
the top other token, `rollout.decide`), so that the samples of one prompt differ only where they
call, and trains on those decisions alone; `explore_floor` > 0 also tries the decisions the student
is sure of where it is unsure of its next token (`rollout.ExploreFloor`), weighed by importance
(`explore_weight`). `trained` "call_row" updates only the output row of
`<call>`: what the student computes stays exactly the warm-up's (all-parameter updates moved its
digits and cost accuracy, training/README.md). With "all", `digit_margin` > 0 holds the digits by a
hinge instead (`grpo_trained.margin_shortfall`, weighed by `margin_coef`) and `body_lr` > 0 gives every
weight but the `<call>` row a step of its own (`grpo_trained.GrpoOptimizer`).
Advantage: reward minus the group mean, divided by the group std only with `std_normalize`;
zero for groups whose rewards are all equal. Teacher-written tokens are masked out of the
policy loss; a KL term (k3 estimator) keeps the policy near the warm-up model. Log-probs of the
policy and of the reference are taken at the rollout temperature (logits / T), the distribution
the samples were drawn from. Every `dev_every` steps the greedy relay is measured on the dev split;
the state with the best dev score (`select`: "accuracy", then the lowest rho; or "reward", dev
accuracy - call_cost * rho; step 0 is the warm-up) is kept.
"""
from __future__ import annotations

import copy
import time

import torch

from . import call_credit, grpo_trained, sft, task
from .evaluate import evaluate, prompt_ids
from .rollout import ExploreFloor, call_odds, decision_logit, rollout
from .tokenizer import CALL


def group_rewards(samples: list[tuple[bool, bool, float]]) -> list[float]:
    """The paper's difficulty-aware reward. samples: (correct, called, rho) for one prompt's group."""
    if any(c and not called for c, called, _ in samples):
        return [(1.5 if not called else 1.0 - rho) if c else 0.0 for c, called, rho in samples]
    if any(c and called for c, called, _ in samples):
        return [1.0 - rho if c else (-1.0 if not called else 0.0) for c, called, rho in samples]
    return [rho if called else 0.0 for _, called, rho in samples]


def cost_rewards(samples: list[tuple[bool, bool, float]], call_cost: float, charge_wrong: bool = False) -> list[float]:
    """Correct: 1 - call_cost * rho (a correct call costs only its teacher share); wrong: 0, or with
    `charge_wrong` -call_cost * rho (teacher tokens are paid for whether or not the answer is right)."""
    return [float(c) - call_cost * rho if (c or charge_wrong) else 0.0 for c, _, rho in samples]


def rewards_for(samples, cfg: dict) -> list[float]:
    if cfg["reward"] == "difficulty":
        return group_rewards(samples)
    # "cost", "cost_all", and "counterfactual" (its call credit is per token, see _token_advantages)
    return cost_rewards(samples, cfg["call_cost"], charge_wrong=cfg["reward"] == "cost_all")


def advantages(rewards: list[float], std_normalize: bool) -> list[float]:
    """Group-relative advantage; zero when every reward of the group is equal."""
    r = torch.tensor(rewards, dtype=torch.float64)
    std = r.std()
    if std <= 1e-6:
        return [0.0] * len(rewards)
    a = r - r.mean()
    return (a / (std + 1e-4) if std_normalize else a).tolist()


def fresh_prompts(sampler, keep, batch: int, stats: dict | None = None, give_up_after: int = 100_000):
    """Endless questions from `sampler`, each at most once, kept where `keep(chunk)` says so.
    `stats` (if given) counts 'seen' and 'kept'. Raises when `give_up_after` questions in a row
    were all rejected (a filter no question passes would otherwise never return)."""
    seen: set[str] = set()
    rejected = 0
    while True:
        if rejected >= give_up_after:
            raise RuntimeError(f"GRPO prompt filter rejected {rejected} questions in a row")
        chunk = []
        while len(chunk) < batch:
            q = next(sampler)
            if q.text not in seen:
                seen.add(q.text)
                chunk.append(q)
        flags = keep(chunk)
        if stats is not None:
            stats["seen"] = stats.get("seen", 0) + len(chunk)
            stats["kept"] = stats.get("kept", 0) + sum(flags)
        rejected = 0 if any(flags) else rejected + len(chunk)
        yield from (q for q, ok in zip(chunk, flags) if ok)


def make_filter(mode: str, student_ref, teacher, cfg: dict, seed: int):
    """keep(questions) -> [bool] for `prompt_filter` mode (see the module doc)."""
    calls = {"n": 0}

    def keep(qs: list[task.Question]) -> list[bool]:
        if mode == "none":
            return [True] * len(qs)
        answers = [task.solve(q)[1] for q in qs]
        trs = rollout(teacher, None, [prompt_ids(q) for q in qs], max_new_tokens=cfg["max_new_tokens"], relay=False)
        ok = [task.is_correct(tr.text, a) for tr, a in zip(trs, answers)]
        if mode == "teacher":
            return ok
        # "decisions" exploration decodes every other token greedily, so the greedy student is the one to fail
        greedy = cfg["explore"] == "decisions"
        k = 1 if greedy else cfg["filter_samples"]
        calls["n"] += 1
        trs = rollout(student_ref, None, [prompt_ids(q) for q in qs for _ in range(k)], max_new_tokens=cfg["max_new_tokens"],
                      temperature=0.0 if greedy else cfg["temperature"], relay=False, seed=seed * 7919 + calls["n"])
        fails = [sum(not task.is_correct(tr.text, answers[j]) for tr in trs[j * k:(j + 1) * k]) for j in range(len(qs))]
        return [o and f > 0 for o, f in zip(ok, fails)]
    return keep


def token_logprobs(model, tokens, temperature: float):
    """log p(token_t+1 | prefix) under softmax(logits / temperature), the rollout's distribution."""
    return written_logprobs(model(tokens[:, :-1]), tokens, temperature)


def written_logprobs(logits, tokens, temperature: float):
    """`token_logprobs` from logits already computed over tokens[:, :-1]."""
    return torch.log_softmax(logits / temperature, -1).gather(-1, tokens[:, 1:, None])[..., 0]


def decision_logprobs(logits, tokens, temperature: float):
    """log P(the decision taken) in `rollout.decide`'s two-way choice: `<call>` against the top other token.
    logits: the model's over tokens[:, :-1]."""
    d, _ = decision_logit(logits, temperature)
    return torch.nn.functional.logsigmoid(torch.where(tokens[:, 1:] == CALL, d, -d))


def explore_floor(cfg: dict) -> ExploreFloor | None:
    """The rollouts' exploration beyond the policy's odds (`explore_floor`, `explore_below`), or None."""
    if cfg["explore"] != "decisions" or cfg["explore_floor"] == 0.0:
        return None
    return ExploreFloor(cfg["explore_floor"], cfg["explore_below"])


def explore_weights(logits, tokens, cfg: dict):
    """Per position, what the loss multiplies a decision's advantage by: 1, or with `explore_floor`
    and `explore_weight` "importance", P(decision | policy) / P(decision as drawn), so that the
    floored draws give the policy's own gradient in expectation (per decision, as PPO's ratio is).
    "none" takes the floored draws as if the policy had made them: a bigger, biased step towards
    what exploration found. logits: the student's over tokens[:, :-1], the student that drew the rollouts (no
    update since)."""
    floor = explore_floor(cfg)
    if floor is None or cfg["explore_weight"] == "none":
        return torch.ones(tokens.shape[0], tokens.shape[1] - 1)
    with torch.no_grad():
        policy, drawn, _ = call_odds(logits.detach(), cfg["temperature"], floor)
        called = tokens[:, 1:] == CALL
        ratio = torch.where(called, policy / drawn, (1.0 - policy) / (1.0 - drawn))
        return torch.where(drawn == policy, torch.ones_like(ratio), ratio)


def _trained_positions(tr, explore: str) -> list[float]:
    """1.0 where the loss reads a response token: every student token ("tokens"), or each call
    decision ("decisions": the student's own tokens outside commands, and each `<call>`)."""
    if explore == "decisions":
        return [1.0 if s == "S" or (s == "C" and t == CALL) else 0.0 for t, s in zip(tr.response, tr.source)]
    return [0.0 if s == "T" else 1.0 for s in tr.source]


def policy_loss(student, ref, trs, adv: list[list[float]], cfg: dict):
    """The clipped-free GRPO loss over student tokens (or call decisions), and the mean k3 KL to
    the reference. adv: one advantage per response token of each transcript."""
    seqs = [tr.prompt + tr.response for tr in trs]
    student_tokens = [[0.0] * len(tr.prompt) + _trained_positions(tr, "tokens") for tr in trs]
    tokens, mask = sft.pad_batch(seqs, student_tokens)
    _, token_adv = sft.pad_batch(seqs, [[0.0] * len(tr.prompt) + a for tr, a in zip(trs, adv)])
    m = mask[:, 1:]
    logp = token_logprobs(student, tokens, cfg["temperature"])
    with torch.no_grad():
        ref_logits = ref(tokens[:, :-1])
        ref_logp = written_logprobs(ref_logits, tokens, cfg["temperature"])
    d = ref_logp - logp
    kl = torch.exp(d) - d - 1      # over every student token in both modes: it keeps the digits where they were
    a = token_adv[:, 1:]
    if cfg["explore"] == "decisions":
        _, decided = sft.pad_batch(seqs, [[0.0] * len(tr.prompt) + _trained_positions(tr, "decisions") for tr in trs])
        logits = student(tokens[:, :-1])
        weight = explore_weights(logits, tokens, cfg)
        gain = (a * weight * decision_logprobs(logits, tokens, cfg["temperature"]) * decided[:, 1:]).sum()
        if cfg["digit_margin"] > 0:
            _, written = sft.pad_batch(seqs, [[0.0] * len(tr.prompt) + [float(s == "S") for s in tr.source] for tr in trs])
            shortfall = grpo_trained.margin_shortfall(logits, ref_logits, tokens, cfg["digit_margin"])
            gain = gain - cfg["margin_coef"] * (shortfall * written[:, 1:]).sum()
    else:
        gain = (a * logp * m).sum()
    loss = -(gain - cfg["kl_coef"] * (kl * m).sum()) / m.sum().clamp(min=1)
    return loss, float((kl * m).sum() / m.sum().clamp(min=1))


def _dev_point(student, teacher, dev, cfg, step: int) -> dict:
    r = evaluate(student, teacher, dev, relay=True, max_turns=cfg["max_turns"])
    return {"step": step, "accuracy": r["accuracy"], "rho": r["rho"], "calls_per_answer": r["calls_per_answer"]}


def dev_score(point: dict, cfg: dict) -> tuple:
    """How a dev point ranks (higher is better). "accuracy": accuracy, then the lower rho;
    "reward": accuracy - call_cost * rho, the objective the cost reward trains for, so that a
    step that calls less at nearly the same accuracy can win."""
    if cfg["select"] == "reward":
        return (point["accuracy"] - cfg["call_cost"] * point["rho"], point["accuracy"])
    return (point["accuracy"], -point["rho"])


def _better(a: dict, b: dict | None, cfg: dict) -> bool:
    return b is None or dev_score(a, cfg) > dev_score(b, cfg)


def _token_advantages(student, teacher, trs, qs, stats, adv: list[float], cfg: dict) -> tuple[list, dict | None]:
    """Per response token advantages: the rollout's, or with counterfactual call credit."""
    if cfg["reward"] != "counterfactual":
        return [[a] * len(tr.response) for tr, a in zip(trs, adv)], None
    g = cfg["group_size"]
    grade = lambda i, tr: task.is_correct(tr.text, task.solve(qs[i // g])[1])  # noqa: E731
    return call_credit.counterfactual_advantages(student, teacher, trs, [s[0] for s in stats], adv, cfg, grade)


def _grpo_step(student, ref, teacher, opt, qs, cfg: dict, seed: int, step: int) -> tuple:
    """One rollout + update; returns ((step, reward, acc, rho, calls, kl, share of groups with
    signal), counts of wasted and needed calls or None without counterfactual credit)."""
    g, n_p = cfg["group_size"], len(qs)
    student.eval()
    trs = rollout(student, teacher, [prompt_ids(q) for q in qs for _ in range(g)], max_new_tokens=cfg["max_new_tokens"],
                  temperature=cfg["temperature"], relay=True, max_turns=cfg["max_turns"], seed=seed * 100003 + step,
                  decisions_only=cfg["explore"] == "decisions", explore_floor=explore_floor(cfg))
    stats = [(task.is_correct(tr.text, task.solve(qs[i // g])[1]), len(tr.calls) > 0, tr.rho) for i, tr in enumerate(trs)]
    rewards, adv = [], []
    for j in range(n_p):
        r = rewards_for(stats[j * g:(j + 1) * g], cfg)
        rewards += r
        adv += advantages(r, cfg["std_normalize"])
    token_adv, credit = _token_advantages(student, teacher, trs, qs, stats, adv, cfg)
    student.train()
    loss, klv = policy_loss(student, ref, trs, token_adv, cfg)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if cfg["trained"] == "call_row":
        grpo_trained.keep_call_row_grad(student)
    torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
    opt.step()
    student.eval()
    acc = sum(s[0] for s in stats) / len(stats)
    rho = sum(tr.teacher_tokens for tr in trs) / max(1, sum(len(tr.response) for tr in trs))
    cpa = sum(len(tr.calls) for tr in trs) / len(trs)
    signal = sum(any(a != 0 for a in adv[j * g:(j + 1) * g]) for j in range(n_p)) / n_p
    return (step, sum(rewards) / len(rewards), acc, rho, cpa, klv, signal), credit


def train(student, teacher, prompts, dev: list[task.Question], cfg: dict, seed: int, progress, on_best=None,
          step0: dict | None = None):
    """GRPO on questions from the iterator `prompts`. Leaves `student` at the best dev state;
    `on_best(student, dev_point)` (if given) is called whenever a step beats the best so far;
    `step0` (if given) is the starting student's dev point measured before (greedy: it does not change).
    Returns {"curve": [(step, reward, acc, rho, calls, kl, signal)], "dev": [dev points], "best": dev point}."""
    ref = copy.deepcopy(student).eval()
    opt = grpo_trained.GrpoOptimizer(student, cfg)
    curve, t0 = [], time.time()
    best = step0 or _dev_point(student, teacher, dev, cfg, 0)
    best_state, devs = copy.deepcopy(student.state_dict()), [best]
    progress.info(f"dev at step 0: acc {best['accuracy']:.4f} rho {best['rho']:.4f} calls {best['calls_per_answer']:.3f}")
    for step in range(1, cfg["steps"] + 1):
        qs = [next(prompts) for _ in range(cfg["prompts_per_step"])]
        c, credit = _grpo_step(student, ref, teacher, opt, qs, cfg, seed, step)
        curve.append(c)
        credited = f"wasted {credit['wasted']} needed {credit['needed']} " if credit else ""
        progress(step, cfg["steps"], f"reward {c[1]:.3f} acc {c[2]:.3f} rho {c[3]:.4f} calls {c[4]:.2f} kl {c[5]:.4f} "
                 f"signal {c[6]:.2f} {credited}{step / (time.time() - t0):.3f} it/s")
        if step % cfg["dev_every"] == 0 or step == cfg["steps"]:
            point = _dev_point(student, teacher, dev, cfg, step)
            devs.append(point)
            if _better(point, best, cfg):
                best, best_state = point, copy.deepcopy(student.state_dict())
                if on_best is not None:
                    on_best(student, best)
            progress.info(f"dev at step {step}: acc {point['accuracy']:.4f} rho {point['rho']:.4f} "
                          f"calls {point['calls_per_answer']:.3f} (best: step {best['step']})")
    student.load_state_dict(best_state)
    student.eval()
    return {"curve": curve, "dev": devs, "best": best}
