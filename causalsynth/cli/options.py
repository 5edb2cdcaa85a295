"""Options that several commands share, declared once, and what they turn into.

Typer reads a command's options from its signature. The options that ``validate`` and
``compare`` share arrive as one :class:`Judging` value (:func:`judging_options` declares them),
and ``--debug`` is added to every command by :func:`causalsynth.cli.exits.guard`; both use
:func:`add_options`, which gives a wrapper the signature typer reads.

Examples
--------
>>> parse_params(["batch_size=500", "name=tv"])
{'batch_size': 500, 'name': 'tv'}
>>> Judging(ici_points=2.0).margins().ici_points
2.0
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import pandas as pd
import typer
from rich.console import Console

from causalsynth.cli.files import check_outputs, commit, read_rows
from causalsynth.dag import builtin_dags
from causalsynth.errors import CausalSynthError
from causalsynth.evaluate.margins import Margins

__all__ = [
    "DagOpt", "DebugOpt", "JsonOpt", "Judging", "SeedOpt", "add_options", "judging_options",
    "parse_params",
]

DagOpt = Annotated[str, typer.Option("--dag", "-d",
                                     help="DAG: a YAML file or a built-in name "
                                          f"({', '.join(builtin_dags())}).")]
SeedOpt = Annotated[int, typer.Option("--seed", "-s", min=0, help="Random seed.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]


def add_options(command: Callable[..., Any], wrapper: Callable[..., Any],
                options: Sequence[inspect.Parameter], drop: Sequence[str] = ()
                ) -> Callable[..., Any]:
    """Make ``wrapper`` (which calls ``command``) look to typer like ``command`` with the
    keyword ``options`` added and the parameters named in ``drop`` removed."""
    signature = inspect.signature(command, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name not in drop]
    params += [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in options]
    functools.update_wrapper(wrapper, command)
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


@dataclass(frozen=True)
class Judging:
    """The options of the commands that judge synthetic tables: ``validate``, ``compare``.

    Each field's annotation is its command-line declaration (see :func:`judging_options`).
    """

    holdout: Annotated[Path | None, typer.Option(
        "--holdout",
        help="Real rows kept out of training (CSV/Parquet), for the privacy figures.")] = None
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write the HTML report here.")] = None
    json_path: JsonOpt = None
    seed: SeedOpt = 0
    reference: Annotated[bool, typer.Option(
        "--reference", help="Also judge two random halves of the real table against each "
                            "other (the split-half yardstick of a perfect synthesizer).")] = False
    ici_points: Annotated[float, typer.Option(
        "--ici-margin", min=0.0, help="Tolerated difference of an ICI share, in points.")] = 5.0
    effect_rel: Annotated[float, typer.Option(
        "--effect-margin", min=0.0,
        help="Tolerated relative difference of an effect (0.1 = 10%).")] = 0.10

    def check_outputs(self, inputs: Sequence[Path], dag: str) -> None:
        """Refuse bad outputs before any work (the holdout counts as an input)."""
        check_outputs([*inputs, self.holdout], html=self.html, json_path=self.json_path,
                      dag=dag)

    def margins(self) -> Margins:
        return Margins(ici_points=self.ici_points, effect_rel=self.effect_rel)

    def holdout_rows(self) -> pd.DataFrame | None:
        return (read_rows(self.holdout, "the holdout table") if self.holdout is not None
                else None)

    def api_options(self) -> dict[str, Any]:
        """Keyword arguments of ``validate`` and ``compare`` (reads the holdout table)."""
        return {"holdout": self.holdout_rows(), "seed": self.seed, "margins": self.margins(),
                "reference": self.reference}

    def write(self, result: Any) -> None:
        """Write a result's JSON and HTML where asked, as one set."""
        commit({self.json_path: result.to_json() + "\n" if self.json_path is not None else None,
                self.html: result.to_html() if self.html is not None else None})

    def print_written(self, console: Console, what: str) -> None:
        """Say where the outputs went (``what``: "report", "comparison")."""
        for path, kind in ((self.html, "HTML"), (self.json_path, "JSON")):
            if path is not None:
                console.print(f"{kind} {what}: {path}")


def judging_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` the :class:`Judging` options; it receives them as ``judging``."""
    hints = get_type_hints(Judging, include_extras=True)
    options = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                 annotation=hints[f.name]) for f in fields(Judging)]
    names = [f.name for f in fields(Judging)]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        judging = Judging(**{name: kwargs.pop(name) for name in names})
        return command(*args, judging=judging, **kwargs)

    return add_options(command, wrapper, options, drop=["judging"])


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict; values parsed as JSON when they parse, else text."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise CausalSynthError(f"--param {item!r} must look like key=value, e.g. "
                                   f"--param batch_size=500")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params
