"""Paired comparison of two `relayllm eval` runs on the same dataset: McNemar's exact test.

    python3 -m relay_train.paired runs/reference/warmup-relay runs/ablations/grpo

Each run directory holds results.jsonl (one line per item: "index", "correct", "usage") from
`relayllm eval`. Items are paired by index; only the discordant pairs carry information: b items
only run A answers correctly, c only run B. Under "no difference" b ~ Binomial(b + c, 1/2); the
two-sided exact p-value is min(1, 2 · P(X <= min(b, c))).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def load_run(run_dir: str) -> dict[int, dict]:
    path = os.path.join(run_dir, "results.jsonl")
    items = {}
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "index" not in row or "correct" not in row:
                raise ValueError(f"{path}:{line_no}: an item needs 'index' and 'correct'")
            items[row["index"]] = row
    return items


def summary(items: dict[int, dict]) -> dict:
    n = len(items)
    usage = [r.get("usage", {}) for r in items.values()]
    llm = sum(u.get("llm_tokens", 0) for u in usage)
    total = sum(u.get("response_tokens", 0) for u in usage)
    return {"n": n, "correct": sum(bool(r["correct"]) for r in items.values()),
            "accuracy": sum(bool(r["correct"]) for r in items.values()) / max(1, n),
            "rho": llm / max(1, total), "calls_per_answer": sum(u.get("calls", 0) for u in usage) / max(1, n)}


def compare(a: dict[int, dict], b: dict[int, dict]) -> dict:
    """McNemar on the items both runs answered; raises when they cover different items."""
    if set(a) != set(b):
        raise ValueError(f"runs cover different items ({len(set(a) ^ set(b))} not in both)")
    only_a = sum(bool(a[i]["correct"]) and not b[i]["correct"] for i in a)
    only_b = sum(bool(b[i]["correct"]) and not a[i]["correct"] for i in a)
    return {"a": summary(a), "b": summary(b), "only_a": only_a, "only_b": only_b,
            "p_value": mcnemar_exact(only_a, only_b)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_a")
    ap.add_argument("run_b")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        res = compare(load_run(args.run_a), load_run(args.run_b))
    except (OSError, ValueError) as e:
        print(f"paired: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
        return 0
    for name, key in ((args.run_a, "a"), (args.run_b, "b")):
        s = res[key]
        print(f"{name}: {s['correct']}/{s['n']} = {100 * s['accuracy']:.2f}%  rho {100 * s['rho']:.2f}%  "
              f"calls/answer {s['calls_per_answer']:.3f}")
    print(f"only A correct {res['only_a']}, only B correct {res['only_b']}, McNemar exact p = {res['p_value']:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
