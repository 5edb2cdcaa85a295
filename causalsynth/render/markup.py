"""HTML building blocks shared by the report and comparison pages: the page shell and its
style, tables, plots that cannot sink a page, intervals, and the generic table of metrics.

Cells passed to :func:`table` are HTML already; every string taken from a report goes through
:func:`~causalsynth.render.format.esc` or :func:`~causalsynth.render.format.fmt` first.

Examples
--------
>>> html = table(["metric", "value"], [["quality", fmt(0.9312)]])
>>> html[html.index("<tbody>"):]
'<tbody><tr><td class="l">quality</td><td class="">0.931</td></tr></tbody></table>'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from causalsynth.evaluate.metric import metric_label
from causalsynth.render.format import esc, fmt, number

__all__ = [
    "CSS", "MAX_BREAKDOWN_ROWS", "breakdown", "interval", "metric_table", "note", "page", "plot",
    "table", "yes_no",
]

#: rows of a metric's breakdown shown on a page (the JSON report holds them all)
MAX_BREAKDOWN_ROWS = 30

CSS = """
.cs-report{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d1d1f;
 line-height:1.45;max-width:1020px;margin:0 auto;padding:8px 14px;font-size:14px}
.cs-report h1{font-size:22px;margin:8px 0 2px}
.cs-report h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.cs-report h3{font-size:15px;margin:18px 0 6px}
.cs-report .sub{color:#555;margin:0 0 10px}
.cs-report .verdict{border-radius:6px;padding:10px 16px;margin:12px 0;border:2px solid}
.cs-report .verdict.ok{background:#eaf6ec;border-color:#2e7d32}
.cs-report .verdict.bad{background:#fdecea;border-color:#c62828}
.cs-report .verdict.unsure{background:#fff8e1;border-color:#f9a825}
.cs-report .verdict .head{font-size:19px;font-weight:700}
.cs-report .verdict ul{margin:6px 0 2px 18px;padding:0}
.cs-report table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
.cs-report th,.cs-report td{border:1px solid #d6d6d6;padding:3px 7px;text-align:right;
 vertical-align:top}
.cs-report th{background:#f3f3f3}
.cs-report td.l,.cs-report th.l{text-align:left}
.cs-report tr.bad td{background:#fdecea}
.cs-report tr.unsure td{background:#fff8e1}
.cs-report .maybe{color:#b26a00;font-weight:600}
.cs-report .yes{color:#2e7d32;font-weight:600}
.cs-report .no{color:#c62828;font-weight:600}
.cs-report .err{color:#c62828}
.cs-report .note{color:#666;font-size:12.5px}
.cs-report .grid{display:flex;flex-wrap:wrap;gap:6px}
.cs-report svg.plot{max-width:100%;height:auto}
.cs-report details{margin:4px 0 8px}
.cs-report summary{cursor:pointer;color:#333}
.cs-report .callout{display:inline-block;border:1px solid #ccc;border-radius:6px;
 padding:6px 12px;margin:4px 8px 8px 0}
.cs-report .callout b{font-size:18px}
.cs-report .guarantee{border:2px solid #4c72b0;border-radius:6px;padding:8px 14px;
 margin:8px 0 10px;background:#eef3fb}
"""


def page(body: str, title: str, fragment: bool = False) -> str:
    """Wrap body HTML in the report's style; a full page unless ``fragment``.

    >>> page("<p>hi</p>", "t", fragment=True).endswith("<div class='cs-report'><p>hi</p></div>")
    True
    """
    inner = f"<style>{CSS}</style><div class='cs-report'>{body}</div>"
    if fragment:
        return inner
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title></head><body>{inner}</body></html>")


def note(text: str) -> str:
    """A grey note paragraph (``text`` is HTML already).

    >>> note("no figures")
    "<p class='note'>no figures</p>"
    """
    return f"<p class='note'>{text}</p>"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], left: int = 1,
          row_classes: Sequence[str] | None = None) -> str:
    """A table; cells are already-escaped HTML; the first ``left`` columns align left and
    ``row_classes`` (``"bad"``, ``"unsure"`` or ``""``) colour rows."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                   for i, h in enumerate(header))
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{row_classes[k]}"' if row_classes and row_classes[k] else ""
        cells = "".join(f'<td class="{"l" if i < left else ""}">{c}</td>'
                        for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def plot(fn: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """``fn(*args, **kwargs)``, an SVG, or a one-line note when it cannot be drawn (a plot
    must not sink the page).

    >>> plot(lambda: 1 / 0)
    "<p class='note'>plot not drawn: ZeroDivisionError: division by zero</p>"
    """
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return note(f"plot not drawn: {esc(type(exc).__name__)}: {esc(exc)}")


def yes_no(flag: Any, good: bool = True) -> str:
    """A yes/no cell coloured by whether that answer is ``good`` ('–' when missing).

    >>> yes_no(True), yes_no(None)
    ('<span class="yes">yes</span>', '–')
    """
    if flag is None:
        return "–"
    cls = "yes" if bool(flag) == good else "no"
    return f'<span class="{cls}">{"yes" if flag else "no"}</span>'


def interval(row: Mapping[str, Any], center: str, low: str, high: str, pct: bool = False
             ) -> str:
    """A figure of ``row`` and, when both bounds are there, its interval beside it.

    >>> interval({"d": 0.2, "lo": -0.1, "hi": 0.5}, "d", "lo", "hi", pct=True)
    '20.0% <span class="note">[-10.0%; 50.0%]</span>'
    """
    text = fmt(row.get(center), pct=pct)
    lo, hi = row.get(low), row.get(high)
    if number(lo) is not None and number(hi) is not None:
        text += f' <span class="note">[{fmt(lo, pct=pct)}; {fmt(hi, pct=pct)}]</span>'
    return text


def metric_table(section: Mapping[str, Mapping[str, Any]]) -> str:
    """Table of a section's metrics: label and hint (as declared with the metric), value (or
    its error), reference, direction, seconds."""
    rows, classes = [], []
    for name, m in section.items():
        label, hint = metric_label(name)
        error = m.get("error")
        value = (f'<span class="err">failed: {esc(error)}</span>' if error
                 else fmt(m.get("value")))
        direction = {"higher": "higher is better", "lower": "lower is better"}.get(
            str(m.get("direction")), "")
        rows.append([f"{esc(label)}<br><span class='note'>{esc(hint)}</span>"
                     if hint else esc(label), value, fmt(m.get("reference")), esc(direction),
                     fmt(m.get("seconds"))])
        classes.append("bad" if error else "")
    if not rows:
        return note("no figures in this section")
    return table(["metric", "value", "reference", "", "seconds"], rows, row_classes=classes)


def breakdown(name: str, m: Mapping[str, Any]) -> str:
    """A metric's breakdown table (rounded, at most 30 rows) and scalar details, folded;
    empty when it has neither."""
    records = m.get("breakdown") or []
    scalars = [(k, v) for k, v in (m.get("details") or {}).items()
               if isinstance(v, (str, int, float, bool)) or v is None]
    if not records and not scalars:
        return ""
    body = note("; ".join(f"{esc(k)}: {fmt(v)}" for k, v in scalars)) if scalars else ""
    if records:
        shown = records[:MAX_BREAKDOWN_ROWS]
        keys: list[str] = []
        for r in shown:
            keys += [k for k in r if k not in keys]
        body += table(keys, [[esc(r.get(k)) if isinstance(r.get(k), str) else fmt(r.get(k))
                              for k in keys] for r in shown])
        if len(records) > MAX_BREAKDOWN_ROWS:
            body += note(f"… {len(records) - MAX_BREAKDOWN_ROWS} more rows")
    return f"<details><summary>{esc(metric_label(name)[0])}: details</summary>{body}</details>"
