"""The model card's ablation rows: serving-path runs kept under models/reference/ablations/.

    python3 -m relay_train.ablations keep runs/ablations/grpo-relay grpo-relay "<how it was made>"
    python3 -m relay_train.ablations table [--baseline shipped-relay]

`keep` copies a `relayllm eval` run (results.jsonl, summary.json) into
models/reference/ablations/<name>/ with only what the paired test needs per item (index, correct,
usage) and a note of how the run was made (what.txt). `table` prints one markdown row per kept run:
n, accuracy, ρ, calls/answer and McNemar's exact p against the baseline run, paired by item.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .paired import compare, load_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ABLATIONS = os.path.join(ROOT, "models", "reference", "ablations")


def keep(run_dir: str, name: str, what: str, into: str = ABLATIONS) -> str:
    items = load_run(run_dir)
    out = os.path.join(into, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.jsonl"), "w") as f:
        for i in sorted(items):
            row = items[i]
            usage = {k: row.get("usage", {}).get(k, 0) for k in ("llm_tokens", "response_tokens", "calls")}
            f.write(json.dumps({"index": i, "correct": bool(row["correct"]), "usage": usage}) + "\n")
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    summary.pop("call_positions", None)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "what.txt"), "w") as f:
        f.write(what.strip() + "\n")
    return out


def table(baseline: str, into: str = ABLATIONS) -> list[str]:
    base = load_run(os.path.join(into, baseline))
    rows = ["| run | what | n | accuracy % | ρ % | calls / answer | only this / only baseline correct | McNemar p |",
            "|---|---|---|---|---|---|---|---|"]
    for name in sorted(os.listdir(into)):
        d = os.path.join(into, name)
        if not os.path.isfile(os.path.join(d, "results.jsonl")):
            continue
        with open(os.path.join(d, "what.txt")) as f:
            what = f.read().strip()
        res = compare(load_run(d), base)
        s = res["a"]
        p = "—" if name == baseline else f"{res['p_value']:.3g}"
        rows.append(f"| `{name}` | {what} | {s['n']} | {100 * s['accuracy']:.2f} | {100 * s['rho']:.2f} | "
                    f"{s['calls_per_answer']:.3f} | {res['only_a']} / {res['only_b']} | {p} |")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keep")
    k.add_argument("run_dir")
    k.add_argument("name")
    k.add_argument("what")
    t = sub.add_parser("table")
    t.add_argument("--baseline", default="shipped-relay")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "keep":
            print(keep(args.run_dir, args.name, args.what))
        else:
            print("\n".join(table(args.baseline)))
    except (OSError, ValueError, KeyError) as e:
        print(f"ablations: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
