"""figures.json for `localist report` (docs/report.md, src/localist/report/figures_section.h).

The experiment scripts import this from their summarising Python step:
    sys.path.insert(0, os.path.dirname(SCRIPT)); from figures import chart, series, write_figures
"""
import json
import math
import os


def _number(v):
    """None for what is not a finite number (the report skips it)."""
    return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def series(label, xs, ys):
    return {"label": label, "x": [_number(x) for x in xs], "y": [_number(y) for y in ys]}


def chart(title, x_label, y_label, all_series, log_x=False, log_y=False):
    return {"title": title, "x_label": x_label, "y_label": y_label, "log_x": log_x, "log_y": log_y,
            "series": all_series}


def write_figures(out_dir, title, caption, charts):
    """OUT_DIR/figures.json, written whole (a temporary file, then a rename)."""
    path = os.path.join(out_dir, "figures.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"title": title, "caption": caption, "charts": charts}, f, indent=1)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: localist report {out_dir} --out report.html")
