"""Dependency-free SVG line charts for training curves."""
from __future__ import annotations

from html import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def line_chart(path: str, title: str, series: dict[str, list[tuple[float, float]]], xlabel: str, ylabel: str,
               width: int = 640, height: int = 360) -> None:
    pts = [p for s in series.values() for p in s]
    if not pts:
        pts = [(0.0, 0.0), (1.0, 1.0)]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    l, r, t, b = 60, 20, 30, 45
    sx = lambda x: l + (x - x0) / (x1 - x0) * (width - l - r)
    sy = lambda y: height - b - (y - y0) / (y1 - y0) * (height - t - b)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>',
           f'<line x1="{l}" y1="{height - b}" x2="{width - r}" y2="{height - b}" stroke="black"/>',
           f'<line x1="{l}" y1="{t}" x2="{l}" y2="{height - b}" stroke="black"/>']
    for i in range(5):
        yv, xv = y0 + (y1 - y0) * i / 4, x0 + (x1 - x0) * i / 4
        out.append(f'<text x="{l - 4}" y="{sy(yv) + 4:.1f}" text-anchor="end">{yv:.3g}</text>')
        out.append(f'<text x="{sx(xv):.1f}" y="{height - b + 15}" text-anchor="middle">{xv:.4g}</text>')
    out.append(f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">{escape(ylabel)}</text>')
    for i, (name, s) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        if s:
            poly = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
            out.append(f'<polyline points="{poly}" fill="none" stroke="{c}" stroke-width="1.5"/>')
        out.append(f'<text x="{width - r - 150}" y="{t + 14 * (i + 1)}" fill="{c}">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))
