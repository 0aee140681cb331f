"""MODEL_CARD.md for the reference pair, written from the measured results."""
from __future__ import annotations

from . import task
from .card_task import example_question, lookup_of, lookup_sentences
from .tokenizer import BYTE_TOKENS, CONTROL_TOKENS

def _control_tokens() -> str:
    """The control tokens as the card lists them, two to a line."""
    named = [f"`{text}`={token_id}" for token_id, text in sorted(CONTROL_TOKENS.items())]
    return ",\n".join(", ".join(named[i:i + 2]) for i in range(0, len(named), 2))


def router_arithmetic(table: dict) -> dict:
    """Query-level random router matched to the relay's accuracy: fraction p of questions go to the teacher."""
    s, t, r = table["student"], table["teacher"], table["grpo_relay"]
    gap = t["accuracy"] - s["accuracy"]
    pgr = (r["accuracy"] - s["accuracy"]) / gap if gap > 0 else float("nan")
    p = min(1.0, max(0.0, pgr))
    ls, lt = s["response_tokens"] / s["n"], t["response_tokens"] / t["n"]
    router_rho = p * lt / ((1 - p) * ls + p * lt) if p > 0 else 0.0
    return {"pgr": pgr, "p": p, "len_student": ls, "len_teacher": lt, "router_rho": router_rho,
            "ratio": router_rho / r["rho"] if r["rho"] > 0 else float("inf")}


def _placement(w: dict) -> str:
    if not w.get("placement_scale"):
        return " at uniformly random token positions"
    hidden = "; the student samples on without seeing the command" if w.get("hide_commands") else ""
    return (f" at random token positions, each token with probability min(1, {w['placement_scale']}·(1 − p_max)), "
            f"p_max the student's top next-token probability{hidden}")


def _mix(w: dict) -> str:
    share = w.get("reference_share", 0.0)
    if not share:
        return ""
    calls = ""
    if w.get("reference_calls"):
        trained = "also trained on" if w.get("reference_teacher_loss") else "context only"
        if w.get("reference_placement") == "number_tail":
            where = (f"a command before each digit where the SFT student's p_max on the reference prefix is below "
                     f"{w['reference_threshold']}, asking for the rest of that number, at most "
                     f"{w['reference_max_calls']} per answer")
        elif w.get("reference_placement") == "number_tail_error":
            margin = (f" or its probability of the reference token is below {w['reference_threshold']}"
                      if w["reference_threshold"] > 0 else "")
            where = (f"a command before each digit where the SFT student's top prediction on the reference prefix is "
                     f"not the reference token{margin}, asking for the rest of that number, at most "
                     f"{w['reference_max_calls']} per answer")
        else:
            where = (f"commands placed the same way: probability min(1, {w['reference_placement_scale']}·(1 − p_max)), "
                     f"p_max the SFT student's on the reference prefix")
        calls = f", {w['reference_calls']:.0%} of them with {where} (the teacher's turn is the reference text, {trained}){_silent(w)}"
    return f"; {share:.0%} of each batch are reference answers{calls}"


def _sft_context(s: dict) -> str:
    """The student SFT's context-only commands (self_labels.context_command_examples), if any."""
    share = s.get("context_commands_share", 0.0)
    if not share:
        return ""
    return (f", {share * 100:g}% of the answers with 1-{s['context_commands_max']} context-only commands before random "
            f"digits (the rest of the number the teacher's turn; no loss on the command tokens)")


def _sft_dev(res: dict, role: str) -> str:
    """The SFT's greedy accuracy alone on dev by step (sft.dev_every), if it was measured."""
    curve = res.get("sft_dev", {}).get(role, [])
    if not curve:
        return ""
    return "; greedy accuracy alone on dev by step: " + ", ".join(f"{step}: {acc * 100:.1f}%" for step, acc in curve)


def _sft_dev_curve_file(res: dict) -> str:
    return ", `curves/sft_dev_accuracy.svg`" if any(res.get("sft_dev", {}).values()) else ""


def _self_rounds(r: dict | None) -> str:
    if not r or not r["rounds"]:
        return ""
    rounds = f"{r['rounds']} more warm-up round" + ("s, each" if r["rounds"] > 1 else ",")
    return (f"; then {rounds} from the round before, with the commands in the reference "
            f"answers placed where the student being trained errs (its top prediction misses the reference digit or "
            f"gives it p < {r['reference_threshold']}), relabelled every batch{_silent(r)}{_served(r)}")


def _silent(r: dict) -> str:
    if not r.get("silent_calls"):
        return ""
    return (f", plus 0-{r['silent_calls']} context-only commands per answer before random digits (no loss on the "
            f"command tokens; the labels placed with them in the student's context)")


def _served(r: dict) -> str:
    if not r.get("served_pool"):
        return ""
    return (f"; {r['served_share']:.0%} of those answers from a pool of {r['served_pool']} train questions the round's "
            f"student first relays greedily, labelled with the commands it wrote there in its context "
            f"(`relay_train/served_calls.py`)")


def _self_rounds_row(r: dict | None, res: dict) -> str:
    """The training table's row for the self-placed warm-up rounds (none when there are none)."""
    if not r or not r["rounds"]:
        return ""
    tim, stats = res["timings_s"], res.get("warmup_rounds", [])
    secs = [tim.get(f"warmup-round{k}-{part}-resumed", tim.get(f"warmup-round{k}-{part}", 0.0))
            for k in range(2, r["rounds"] + 2) for part in ("data", "served", "sft")]
    kept = ", ".join(str(x.get("kept")) for x in stats)
    served = [x["served"] for x in stats if "served" in x]
    if served:
        biases = ", ".join(f"{b:g}" for b in served[0]["call_biases"])
        kept += (f"; served pools relayed under call_bias {biases} kept "
                 + ", ".join(str(x["commands"]) for x in served) + " commands")
    return (f"| self-placed warm-up rounds | {r['rounds']} round(s), each from the previous round's student: "
            f"{r['transcripts']} samples (kept {kept}) and reference answers as above, but with a command before "
            f"each digit where the student being trained, reading the answer with its own commands, predicts another "
            f"token or gives the reference p < {r['reference_threshold']} (relabelled every batch, "
            f"`relay_train/self_labels.py`){_served(r)}, lr {r['lr']} | {r['steps']} each | {round(sum(secs), 1)} |\n")


def _recipe(w: dict, g: dict, r: dict | None = None) -> str:
    """The intro's one-sentence recipe, from the configs that ran."""
    placement = "where the student's confidence is low" if w.get("placement_scale") else "at random"
    warm = f"warm-up SFT on the student's own correct samples with commands placed {placement}"
    if w.get("reference_share"):
        warm += f", {w['reference_share']:.0%} of each batch reference answers"
        if w.get("reference_calls") and w.get("reference_placement") == "number_tail":
            warm += (f" with a command before each digit where the SFT student's confidence is below "
                     f"{w['reference_threshold']}")
        if w.get("reference_calls") and w.get("reference_placement") == "number_tail_error":
            warm += " with a command before each digit the SFT student gets wrong on the reference prefix"
    decision = " on the call decision alone (only the `<call>` output row trained)" if g.get("trained") == "call_row" else ""
    return f"{warm}{_self_rounds(r)}; then GRPO{decision} with {_reward(g)}"


def _reward(g: dict) -> str:
    if g["reward"] == "difficulty":
        return "the paper's difficulty-aware group reward"
    if g["call_cost"] == 0:
        return "a plain correctness reward"
    wrong = f"− {g['call_cost']:g}·ρ" if g["reward"] == "cost_all" else "0"
    return f"the reward 1 − {g['call_cost']:g}·ρ for a correct answer, {wrong} for a wrong one"


def _grpo_filter(g: dict, res: dict) -> str:
    kept = res.get("grpo_prompts", {})
    fails = ("the greedy warm-up student alone fails" if g.get("explore") == "decisions" else
             f"the warm-up student alone fails at least once in {g['filter_samples']} samples (T={g['temperature']})")
    where = {"none": "every question", "teacher": "questions the teacher solves (greedy)",
             "calls_matter": f"questions the teacher solves (greedy) and {fails}"}[g["prompt_filter"]]
    return f"fresh train questions, each used once: {where}; kept {kept.get('kept')} of {kept.get('seen')}"


def _grpo(g: dict, res: dict) -> str:
    best = res.get("grpo_best", {})
    norm = "divided by the group std" if g["std_normalize"] else "not divided by the group std"
    if g.get("explore") == "decisions":
        samples = (f"greedy but for each call decision, `<call>` or the top other token drawn at T={g['temperature']}; "
                   f"the loss on those decisions")
    else:
        samples = f"T={g['temperature']}; log-probs at T"
    trained = ", only the output row of `<call>` trained" if g.get("trained") == "call_row" else ""
    chosen = "accuracy − call_cost·ρ" if g.get("select") == "reward" else "accuracy"
    return (f"{g['prompts_per_step']} prompts × {g['group_size']} samples ({samples}), "
            f"{_reward(g)}, advantage = reward − group mean ({norm}), KL {g['kl_coef']} to the warm-up model{trained}, "
            f"lr {g['lr']}; dev relay {chosen} every {g['dev_every']} steps, kept step {best.get('step')} "
            f"(dev {100 * best.get('accuracy', 0):.1f}% at ρ {100 * best.get('rho', 0):.2f}%)")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def model_card(res: dict) -> str:
    tc, sc, par = res["configs"]["teacher"], res["configs"]["student"], res["params"]
    smoke = "\n> SMOKE RUN: tiny step counts, numbers are meaningless.\n" if res["smoke"] else ""
    return _header(tc, sc, par, smoke, res) + _training_section(res) + _results_section(res)


def _header(tc: dict, sc: dict, par: dict, smoke: str, res: dict) -> str:
    example = example_question(res)
    what = "arithmetic task with a table lookup" if lookup_of(res) else "arithmetic task"
    return f"""# RelayLLM reference pair: `slm.gguf` (student) + `llm.gguf` (teacher)
{smoke}
Two tiny Llama-architecture models trained from scratch on a synthetic {what} with the
RelayLLM recipe as built here ({_recipe(sc['warmup'], sc['grpo'], sc.get('self_rounds'))}).
They exist so that the serving system, its tests and its evaluation run for real on a laptop CPU.

## Architecture
Llama (RMSNorm, RoPE rotating adjacent pairs as llama.cpp does, SwiGLU, no biases, untied output), F32 GGUF.

| | teacher (`llm.gguf`) | student (`slm.gguf`) |
|---|---|---|
| parameters | {par['teacher']:,} | {par['student']:,} ({par['student'] / par['teacher']:.3f} of the teacher) |
| dim / layers / heads / ffn | {tc['dim']} / {tc['n_layers']} / {tc['n_heads']} / {tc['ffn_dim']} | {sc['dim']} / {sc['n_layers']} / {sc['n_heads']} / {sc['ffn_dim']} |
| context | {tc['max_seq_len']} | {sc['max_seq_len']} |

Tokenizer (shared): {BYTE_TOKENS} byte tokens (id = byte value) and four CONTROL tokens {_control_tokens()}; no merges. User text always tokenizes to bytes, so a typed `<call>5</call>`
is plain text; only the model can write the command tokens.

## Chat format
`<s>` + question + `\\n`, e.g. `<s>{example.text}\\n`. The model answers step by step and ends with
`\\boxed{{<integer>}}` then `</s>`:

```
{task.solve(example)[0]}
```
Working lines write numbers in five digits, least-significant digit first (`67710` is 1776), signed
values with a leading sign: each result digit then sits at a fixed distance from the digits it depends on
(`relay_train/task.py`).
The student may write `<call>n</call>` anywhere in its answer; the teacher then continues the
command-free text for n tokens.

"""


def _training_section(res: dict) -> str:
    tb, sc, tc, tim = res["table"], res["configs"]["student"], res["configs"]["teacher"], res["timings_s"]
    total = sum(v for k, v in tim.items() if k not in ("teacher-sft", "student-sft") or f"{k}-resumed" not in tim)
    if res.get("sft_side_by_side"):     # the two SFTs overlapped: the shorter one adds no time
        total -= min(tim.get(f"{r}-sft-resumed", tim.get(f"{r}-sft", 0.0)) for r in ("teacher", "student"))
    return f"""## Training data and steps
Task: `Compute <expr>.`, 2-4 operands in 0..99, `+ - *`, at most two `*`, every intermediate below 100000
in magnitude.{lookup_sentences(res)} Seeded splits: test {tb['teacher']['n']} questions (equal thirds by operand count), dev, and an
endless train stream that never yields a dev or test question (`data/`).

| stage | what | steps | time (s) |
|---|---|---|---|
| teacher SFT | reference answers, batch {tc['sft']['batch_size']}, lr {tc['sft']['lr']}{_sft_dev(res, 'teacher')} | {tc['sft']['steps']} | {tim.get('teacher-sft-resumed', tim.get('teacher-sft'))} |
| student SFT | same data{_sft_context(sc['sft'])}, batch {sc['sft']['batch_size']}, lr {sc['sft']['lr']}{_sft_dev(res, 'student')} | {sc['sft']['steps']} | {tim.get('student-sft-resumed', tim.get('student-sft'))} |
| warm-up data | {sc['warmup']['transcripts']} student samples (T={sc['warmup']['temperature']}), 0-{sc['warmup']['max_calls']} random commands each{_placement(sc['warmup'])}, n = d·10^k (k = 0 with probability {sc['warmup'].get('short_share', 0.5)}); kept the {res['warmup']['kept']} with a correct answer ({res['warmup']['calls']} commands) | | {tim.get('warmup-data-resumed', tim.get('warmup-data'))} |
| warm-up SFT | loss on student tokens incl. commands, teacher tokens context only{_mix(sc['warmup'])}, lr {sc['warmup']['lr']} | {sc['warmup']['steps']} | {tim.get('warmup-sft-resumed', tim.get('warmup-sft'))} |
{_self_rounds_row(sc.get('self_rounds'), res)}| GRPO prompts | {_grpo_filter(sc['grpo'], res)} | | {tim.get('grpo-filter')} |
| GRPO | {_grpo(sc['grpo'], res)} | {sc['grpo']['steps']} | {tim.get('grpo')} |

Whole pipeline including evaluation and export: {total / 60:.1f} min (`npm run train:reference`; 2 threads unless `train.log` says
otherwise{"; the two SFTs side by side, one thread each" if res.get("sft_side_by_side") else ""}; a stage resumed from a checkpoint counts the time of the run that made it).

"""


def _results_section(res: dict) -> str:
    tb, sc = res["table"], res["configs"]["student"]
    rows = [("Student alone", "student"), ("Student after warm-up, relaying", "warmup_relay"),
            ("Student after GRPO alone (calls blocked)", "grpo_blocked"),
            ("Student after GRPO relaying to the teacher", "grpo_relay"), ("Teacher alone", "teacher")]
    lines = ["| Model | accuracy | 2 operands | 3 operands | 4 operands | ρ (%) | calls / answer |",
             "|---|---|---|---|---|---|---|"]
    for label, key in rows:
        m = tb[key]
        lines.append(f"| {label} | {_pct(m['accuracy'])} | {_pct(m['accuracy_2'])} | {_pct(m['accuracy_3'])} | "
                     f"{_pct(m['accuracy_4'])} | {100 * m['rho']:.2f} | {m['calls_per_answer']:.2f} |")
    ra = router_arithmetic(tb)
    return f"""## Results on the test split (greedy, max 256 response tokens, at most {sc['grpo']['max_turns']} student turns)
ρ = teacher-written tokens ÷ all response tokens (commands count as student tokens), pooled over the split.

{chr(10).join(lines)}

PGR of the relay row = (relay − student) / (teacher − student) = **{ra['pgr']:.3f}** (target ≥ 0.80) at ρ = **{100 * tb['grpo_relay']['rho']:.2f}%** (target ≤ 3%).
The same weights with calls blocked score {_pct(tb['grpo_blocked']['accuracy'])}%: relaying adds {100 * (tb['grpo_relay']['accuracy'] - tb['grpo_blocked']['accuracy']):+.1f} points to them
(the rest of the gain over the student after SFT is what warm-up and GRPO taught the student itself).

Random router at the same accuracy: it must send p = PGR = {ra['p']:.3f} of the questions to the teacher.
With mean answer lengths {ra['len_student']:.1f} (student) and {ra['len_teacher']:.1f} (teacher) tokens its teacher-token share is
p·{ra['len_teacher']:.1f} / ((1−p)·{ra['len_student']:.1f} + p·{ra['len_teacher']:.1f}) = {100 * ra['router_rho']:.2f}%, i.e. **{ra['ratio']:.1f}×** the relay's teacher tokens (target ≥ 20×).

Curves: `curves/sft_loss.svg`{_sft_dev_curve_file(res)}, `curves/warmup_loss.svg`, `curves/grpo_reward.svg`. Full log: `train.log`; all numbers: `metrics.json`.

## Measured through the serving path
The table above is measured by the training code (PyTorch rollouts that follow the serving protocol).
`npm run eval:reference` measures the same rows, and the baselines, with `relayllm eval` on the GGUF files
(llama.cpp, the relay-core protocol) and writes them here and into `eval/`.

<!-- serving-table:start -->
Not measured yet: run `npm run eval:reference`.
<!-- serving-table:end -->
"""
