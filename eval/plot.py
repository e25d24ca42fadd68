"""The hit@k curve (k = 1..10), one line per search mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

# The object API with an explicit Agg canvas: no pyplot global state, no display needed.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from eval.errors import EvalError


def plot_hit_curves(path: Path, curves: Mapping[str, Sequence[float]], *, title: str) -> None:
    figure = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(figure)  # attaches the Agg canvas that savefig renders with
    axes = figure.add_subplot()
    for mode, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, marker="o", label=mode)
    axes.set_xlabel("k (passages retrieved)")
    axes.set_ylabel("hit@k (share of answerable questions)")
    axes.set_xticks(range(1, max((len(v) for v in curves.values()), default=1) + 1))
    axes.set_ylim(0.0, 1.02)
    axes.grid(True, alpha=0.3)
    axes.set_title(title)
    axes.legend(loc="lower right")
    figure.tight_layout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc
