"""How a run of the command line ends: exit codes, one-line errors, interrupts.

Exit codes: 0 preserved (or success), 1 not preserved, 2 bad input or any error (one line;
``--debug`` shows the traceback), 3 inconclusive, 4 the synthetic table copies real rows,
130 interrupted by Ctrl-C (SIGINT), 143 terminated (SIGTERM). An interrupted run writes none
of its outputs.

Examples
--------
>>> verdict_exit("inconclusive"), best_exit(["not preserved", "inconclusive"])
(3, 3)
>>> message(FileNotFoundError(2, "No such file", "real.csv"))
"no file at 'real.csv'; check the path"
"""

from __future__ import annotations

import inspect
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import typer

try:  # typer >= 0.2x vendors click; before, it used click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException

from causalsynth.cli.console import err
from causalsynth.cli.files import RUN
from causalsynth.cli.options import DebugOpt, add_options
from causalsynth.errors import CausalSynthError
from causalsynth.evaluate.verdict import INCONCLUSIVE, PRESERVED

__all__ = [
    "EXIT_COPIES", "EXIT_ERROR", "EXIT_INCONCLUSIVE", "EXIT_NOT_PRESERVED", "EXIT_OK",
    "EXIT_SIGINT", "EXIT_SIGTERM", "best_exit", "guard", "message", "run", "verdict_exit",
]

EXIT_OK, EXIT_NOT_PRESERVED, EXIT_ERROR, EXIT_INCONCLUSIVE = 0, 1, 2, 3
EXIT_COPIES = 4  # the privacy gate: the synthetic table copies real rows
EXIT_SIGINT, EXIT_SIGTERM = 128 + 2, 128 + 15  # the shell's convention: 128 + signal number
#: libraries whose warnings are noise on a terminal (``--debug`` shows them)
QUIET_MODULES = ("sdmetrics", "sdv", "rdt", "copulas", "ctgan", "dowhy", "econml", "sklearn",
                 "statsmodels", "torch", "joblib")


def verdict_exit(verdict: str | None) -> int:
    """The exit code of one verdict: 0 preserved, 1 not preserved, 3 inconclusive."""
    return {PRESERVED: EXIT_OK, INCONCLUSIVE: EXIT_INCONCLUSIVE}.get(
        verdict, EXIT_NOT_PRESERVED)


def best_exit(verdicts: Iterable[str | None]) -> int:
    """The exit code of the best verdict among several (preserved > inconclusive > not)."""
    codes = {verdict_exit(v) for v in verdicts}
    return next((c for c in (EXIT_OK, EXIT_INCONCLUSIVE) if c in codes), EXIT_NOT_PRESERVED)


def message(exc: BaseException) -> str:
    """An error as one line a user can act on."""
    if isinstance(exc, CausalSynthError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no file at {str(exc.filename)!r}; check the path"
    if isinstance(exc, PermissionError):
        return (f"permission denied for {str(exc.filename)!r}; check the permissions of the "
                f"file and its folder")
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc)
    return (f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            f"(rerun with --debug for the traceback)")


def guard(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` a ``--debug`` option and turn its errors into one line on stderr and
    exit code 2 (``--debug``: the traceback, and third-party warnings shown)."""
    def wrapper(*args: Any, debug: bool = False, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                if not debug:
                    for module in QUIET_MODULES:
                        warnings.filterwarnings("ignore", module=module)
                return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if debug:
                raise
            err().print(f"error: {message(exc)}", style="bold red", markup=False)
            raise typer.Exit(EXIT_ERROR) from None

    debug = inspect.Parameter("debug", inspect.Parameter.KEYWORD_ONLY, default=False,
                              annotation=DebugOpt)
    return add_options(command, wrapper, [debug])


def _on_signal(signum: int, _frame: Any) -> None:
    """SIGINT and SIGTERM: remember the signal, then unwind like Ctrl-C so every temporary
    file is removed. Remembering it means a KeyboardInterrupt that some library swallows
    ("Exception ignored in ...") still ends the run with 130/143 and no outputs."""
    RUN.signals.append(signum)
    raise KeyboardInterrupt


def _interrupted() -> int:
    signum = RUN.signals[0] if RUN.signals else signal.SIGINT
    name = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted (Ctrl-C, SIGINT)"
    done = ("; its outputs had been written whole before" if RUN.written
            else "; no outputs were written")
    err().print(f"error: {name}{done}", style="bold red", markup=False)
    return EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT


def _usage_error(exc: Any) -> int:
    """A command-line usage error in one line (help itself when no command was given)."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()
        return int(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    err().print(f"error: {exc.format_message()}{hint}", style="bold red", markup=False)
    return int(getattr(exc, "exit_code", EXIT_ERROR))


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> None:
    """Run ``app`` on ``argv`` (default: the process's arguments) and exit with its code.

    SIGINT and SIGTERM are handled for the run (130/143, one line, no outputs) and restored
    after it; a signal ignored by the shell (``nohup``, ``&``) stays ignored.
    """
    RUN.reset()
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is not signal.SIG_IGN:
                previous[sig] = signal.signal(sig, _on_signal)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        code = app(args=list(argv) if argv is not None else None, prog_name="causalsynth",
                   standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        code = _interrupted()
    except ClickException as exc:  # option errors: one line, not a usage box
        code = _usage_error(exc)
    except Exception:  # only with --debug; otherwise guard turned it into one line
        traceback.print_exc()
        code = EXIT_ERROR
    else:
        if RUN.signals:  # interrupted, but the interrupt was swallowed on the way
            code = _interrupted()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        RUN.reset()  # the state of this run only (main may be called again in-process)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
