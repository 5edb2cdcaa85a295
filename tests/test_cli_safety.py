"""Nothing lost, nothing leaked (issue 17): inputs are never overwritten, outputs are written
whole and as a set, with normal permissions, interrupts leave nothing behind and exit 130/143,
CSV tables round-trip bit for bit, and errors are one clear line.

Tests about the command line run it: in a subprocess (``python -m causalsynth``, the real
entry point with its signal handling and exit codes) where that matters, else in-process
through typer's runner, which is faster. Every test checks that its inputs kept their bytes
and that no ``.part`` file is left.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli import fake_validate as _fake_validate  # a fast validate(), realistic report
from typer.testing import CliRunner

import causalsynth as cs
import causalsynth.cli as cli
import causalsynth.cli.files as cli_files
import causalsynth.comparison as cmp
from causalsynth import load_dag
from causalsynth._io import read_table, write_outputs, write_table_atomic, write_text_atomic
from causalsynth.dag import builtin_dags
from causalsynth.errors import DAGError, DataError
from causalsynth.evaluate.report import Report

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---- helpers ----------------------------------------------------------------------------------
def invoke(*args):
    """In-process run of the typer app (no signal handling; exceptions come back)."""
    return runner.invoke(cli.app, [str(a) for a in args])


def causalsynth(*args, cwd: Path, umask: int | None = None, timeout: float = 120):
    """``python -m causalsynth ARGS`` in ``cwd``: the real entry point and exit codes."""
    return subprocess.run([sys.executable, "-m", "causalsynth", *map(str, args)], cwd=cwd,
                          env=_env(), capture_output=True, text=True, timeout=timeout,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT),
            "COLUMNS": "200"}


def _default_sigint() -> None:
    """In the child, before Python starts: SIGINT's default action, so that Python installs
    its Ctrl-C handler. A suite started in the background (`cmd &`) passes SIGINT on ignored,
    which main() rightly keeps: the signal would be lost and the run go on to the end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def checksums(*paths: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def strays(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.part"))


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture
def work(tmp_path):
    """A folder with a real and a synthetic table (300 rows) and a copy of a DAG file."""
    dag = load_dag("acquisition")
    dag.simulate(300, seed=0).to_csv(tmp_path / "real.csv", index=False)
    dag.simulate(300, seed=1).to_csv(tmp_path / "synth.csv", index=False)
    shutil.copy(builtin_dags()["acquisition"], tmp_path / "my.yaml")
    return tmp_path


INPUTS = ("real.csv", "synth.csv", "my.yaml")


def fake_validate(verdict: str):
    """validate() without the computation: a realistic report for the tables given."""
    fake = _fake_validate(verdict)
    return lambda real, synthetic, dag, holdout=None, seed=0, **kw: fake(
        real, synthetic, dag, holdout, seed)


def refuse_compute(monkeypatch) -> None:
    """The API functions behind the commands fail the test when called: the command should
    have been refused before any work."""
    def refuse(name):
        def call(*args, **kwargs):
            raise AssertionError(f"{name} ran although the command should have been refused "
                                 f"first")
        return call

    for name in ("validate", "compare", "check_dag"):
        monkeypatch.setattr(cs, name, refuse(name))


# ---- 1. an output onto an input, the DAG file included ----------------------------------------
COMMANDS = {
    "simulate": ["simulate", "{dag}"],
    "synthesize": ["synthesize", "real.csv", "--dag", "{dag}"],
    "validate": ["validate", "real.csv", "synth.csv", "--dag", "{dag}"],
    "compare": ["compare", "real.csv", "--dag", "{dag}"],
    "check-dag": ["check-dag", "real.csv", "--dag", "{dag}"],
}
NEEDS_TABLE = ("simulate", "synthesize")


OUTPUT_FLAGS = [(c, "--json") for c in COMMANDS] + [(c, "-o") for c in NEEDS_TABLE] + [
    (c, "--html") for c in ("validate", "compare")]


@pytest.mark.parametrize(("command", "flag"), OUTPUT_FLAGS)
@pytest.mark.parametrize("alias", ["same", "relative", "symlink", "hardlink"])
def test_output_onto_the_dag_file_is_refused(work, monkeypatch, command, flag, alias):
    monkeypatch.chdir(work)
    refuse_compute(monkeypatch)
    before = checksums(*(work / p for p in INPUTS))
    target = {"same": "my.yaml", "relative": "./sub/../my.yaml", "symlink": "link.yaml",
              "hardlink": "hard.yaml"}[alias]
    if alias == "symlink":
        os.symlink("my.yaml", work / "link.yaml")
    if alias == "hardlink":
        os.link(work / "my.yaml", work / "hard.yaml")
    args = [a.format(dag="my.yaml") for a in COMMANDS[command]]
    if command in NEEDS_TABLE and flag != "-o":
        args += ["-o", "out.csv"]
    res = invoke(*args, flag, target)
    assert res.exit_code == 2, res.output
    assert_one_line_error(res.output, "is the DAG file", "inputs are never overwritten")
    assert checksums(*(work / p for p in INPUTS)) == before
    assert not (work / "out.csv").exists() and not strays(work)


def test_output_onto_a_builtin_dag_file_is_refused(work, monkeypatch):
    """``--dag acquisition --json <the built-in's own file>`` (a copy stands in for it)."""
    monkeypatch.setattr(cli_files, "builtin_dags", lambda: {"acquisition": work / "my.yaml"})
    refuse_compute(monkeypatch)
    before = checksums(work / "my.yaml")
    res = invoke("check-dag", work / "real.csv", "--dag", "acquisition", "--json",
                 work / "my.yaml")
    assert res.exit_code == 2
    assert_one_line_error(res.output, "is the DAG file")
    assert checksums(work / "my.yaml") == before


def test_output_onto_a_table_input_through_a_hard_link_is_refused(work, monkeypatch):
    os.link(work / "real.csv", work / "alias.csv")
    refuse_compute(monkeypatch)
    before = checksums(work / "real.csv")
    res = invoke("validate", work / "real.csv", work / "synth.csv", "--dag", "acquisition",
                 "--html", work / "r.html", "--json", work / "alias.csv")
    assert res.exit_code == 2
    assert_one_line_error(res.output, "is one of the input files")
    assert checksums(work / "real.csv") == before
    assert not (work / "r.html").exists()


def test_check_dag_json_onto_the_dag_file_through_the_command(work):
    """The issue's reproduction, through the real command: exit 2, one line, DAG intact."""
    before = checksums(*(work / p for p in INPUTS))
    res = causalsynth("check-dag", "real.csv", "--dag", "my.yaml", "--json", "my.yaml",
                      cwd=work)
    assert res.returncode == 2, res.stderr
    assert_one_line_error(res.stderr, "'my.yaml' is the DAG file")
    assert checksums(*(work / p for p in INPUTS)) == before
    assert not strays(work)


# ---- 2. demo --out DIR does not replace files silently -----------------------------------------
def test_demo_refuses_a_folder_with_earlier_outputs(tmp_path, monkeypatch):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "real.csv").write_text("mine\n")
    (out / "comparison.json").write_text("{}\n")
    (out / "notes.txt").write_text("unrelated\n")
    before = checksums(*out.iterdir())
    refuse_compute(monkeypatch)
    res = invoke("demo", "--quick", "--out", out)
    assert res.exit_code == 2, res.output
    assert_one_line_error(res.output, "already holds real.csv, comparison.json",
                          "--overwrite", "empty or new folder")
    assert checksums(*out.iterdir()) == before
    assert not strays(out)


def test_demo_overwrite_replaces_the_set_and_drops_stale_reports(tmp_path, monkeypatch):
    """With --overwrite the new run's files replace the old ones (keeping their mode), and the
    report of a synthesizer that did not run this time does not survive from the old run."""
    out = tmp_path / "demo"
    out.mkdir()
    for name in ("real.csv", "ctgan.json", "ctgan.html"):
        (out / name).write_text("old\n")
    os.chmod(out / "real.csv", 0o664)
    fake = fake_validate("preserved")
    monkeypatch.setattr(cmp, "_run_validate", lambda r, s, d, h, seed, *a, **kw: fake(r, s, d, h))
    # the real compare() on one fast synthesizer: ctgan, tvae, gaussian_copula leave no report
    monkeypatch.setattr(cs, "compare", lambda real, dag, specs, **kw: cmp.compare(
        real, dag, {"causal": {}}, **kw))
    res = invoke("demo", "--quick", "--rows", 200, "--out", out, "--overwrite")
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out / "real.csv")) == 200
    assert stat.S_IMODE((out / "real.csv").stat().st_mode) == 0o664
    assert json.loads((out / "causal.json").read_text())["verdict"] == "preserved"
    assert (out / "comparison.html").read_text().rstrip().endswith("</html>")
    assert not (out / "ctgan.json").exists() and not (out / "ctgan.html").exists()
    assert not strays(out)


# ---- 3. normal permissions --------------------------------------------------------------------
def test_written_files_follow_the_umask_and_keep_an_existing_mode(work):
    """New files get 0666 less the umask (not mkstemp's 0600); a replaced report keeps 0664."""
    (work / "shared.json").write_text("{}\n")
    os.chmod(work / "shared.json", 0o664)
    res = causalsynth("simulate", "my.yaml", "--rows", 50, "-o", "new.csv", "--json",
                      "shared.json", cwd=work, umask=0o022)
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE((work / "new.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((work / "shared.json").stat().st_mode) == 0o664  # not tightened
    assert json.loads((work / "shared.json").read_text())["rows"] == 50
    assert not strays(work)


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_write_outputs_mode_is_0666_less_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_outputs({tmp_path / "a.txt": "x", tmp_path / "b.csv": pd.DataFrame({"v": [1.5]})})
    finally:
        os.umask(old)
    for name in ("a.txt", "b.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


# ---- 4. interrupts ----------------------------------------------------------------------------
def test_interrupt_while_rendering_the_html_writes_neither_output(work, monkeypatch):
    """Ctrl-C after the JSON text is ready but while the HTML renders: no JSON alone."""
    monkeypatch.setattr(cs, "validate", fake_validate("preserved"))

    def interrupted(self, path=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(Report, "to_html", interrupted)
    res = invoke("validate", work / "real.csv", work / "synth.csv", "--dag", "acquisition",
                 "--json", work / "r.json", "--html", work / "r.html")
    assert res.exit_code == 130
    assert not (work / "r.json").exists() and not (work / "r.html").exists()
    assert not strays(work)


def test_write_outputs_is_all_or_none(tmp_path, monkeypatch):
    """An interrupt while writing the second output leaves the first one's old content, no
    new file, no temporary file and no new folder."""
    (tmp_path / "a.json").write_text("old\n")

    def half_written(self, path, **kwargs):
        Path(path).write_text("x,y\n1,")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(KeyboardInterrupt):
        write_outputs({tmp_path / "a.json": "new\n",
                       tmp_path / "sub" / "b.csv": pd.DataFrame({"x": [1.0]})})
    assert (tmp_path / "a.json").read_text() == "old\n"
    assert not (tmp_path / "sub").exists()  # the folder it created is gone too
    assert not strays(tmp_path)


def test_a_swallowed_interrupt_still_ends_the_run_with_130_and_no_outputs(work, monkeypatch,
                                                                          capsys):
    """Some library catches the KeyboardInterrupt ("Exception ignored ..."): the run must not
    go on to write its outputs and exit 0."""
    def swallowing_validate(*args, **kwargs):
        try:
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.5)  # the handler raises here
        except KeyboardInterrupt:
            pass  # swallowed, as a __del__ or a callback would
        return fake_validate("preserved")(*args, **kwargs)

    monkeypatch.setattr(cs, "validate", swallowing_validate)
    # a test run started in the background (`cmd &`) inherits SIGINT ignored, which main()
    # rightly keeps; this test is about a terminal's Ctrl-C, so give SIGINT Python's handler
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["validate", str(work / "real.csv"), str(work / "synth.csv"), "--dag",
                      "acquisition", "--json", str(work / "r.json"), "--html",
                      str(work / "r.html")])
        assert signal.getsignal(signal.SIGINT) is handler  # main() put the old handler back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert exit_info.value.code == 130
    assert_one_line_error(capsys.readouterr().err, "interrupted (Ctrl-C, SIGINT)",
                          "no outputs were written")
    assert not (work / "r.json").exists() and not (work / "r.html").exists()
    assert not strays(work)


def test_sigterm_during_a_large_table_write_leaves_no_part_file(work):
    """SIGTERM while the hidden .part file of a big synthetic table is being written."""
    before = checksums(*(work / p for p in INPUTS))
    proc = subprocess.Popen(
        [sys.executable, "-m", "causalsynth", "synthesize", "real.csv", "--dag", "my.yaml",
         "-y", "causal", "--rows", "400000", "-o", "big.csv", "--json", "big.json"],
        cwd=work, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not strays(work) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert strays(work), "the table write was never seen in progress"
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert_one_line_error(err, "terminated (SIGTERM)", "no outputs were written")
    assert not (work / "big.csv").exists() and not (work / "big.json").exists()
    assert not strays(work)
    assert checksums(*(work / p for p in INPUTS)) == before


def _whole(path: Path) -> bool:
    if path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix == ".html":
        assert path.read_text().rstrip().endswith("</html>")
    else:
        assert len(pd.read_csv(path)) == 300
    return True


RUNS = {
    "validate": (["validate", "real.csv", "synth.csv", "--dag", "my.yaml", "--json", "r.json",
                  "--html", "r.html"], ["r.json", "r.html"]),
    "synthesize": (["synthesize", "real.csv", "--dag", "my.yaml", "-y", "causal", "-o",
                    "s.csv", "--json", "s.json"], ["s.csv", "s.json"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(RUNS))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("offset", [0.5, 2.0, 5.0])
def test_interrupt_at_any_moment_leaves_all_outputs_or_none(work, command, sig, offset):
    """Whenever the signal lands (start-up, computing, writing), the outputs are all there and
    whole or none is, no .part file is left, inputs keep their bytes, and a run whose outputs
    are missing did not exit 0. A signal during start-up, before the command line is loaded,
    ends the process the way Python does (killed by SIGTERM, KeyboardInterrupt on SIGINT)."""
    args, outs = RUNS[command]
    before = checksums(*(work / p for p in INPUTS))
    proc = subprocess.Popen([sys.executable, "-m", "causalsynth", *args], cwd=work, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    time.sleep(offset)
    running = proc.poll() is None
    if running:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    there = [(work / o).exists() for o in outs]
    assert all(there) or not any(there), (there, err)
    if all(there):
        assert all(_whole(work / o) for o in outs)
    else:
        assert running and proc.returncode != 0, err
    if proc.returncode in (130, 143):
        assert proc.returncode == (130 if sig == signal.SIGINT else 143)
        assert_one_line_error(err, "SIGINT" if sig == signal.SIGINT else "SIGTERM")
    else:
        # -SIGINT: under heavy load a SIGTERM that lands at start-up was seen to end the run
        # with the one-line message and then Python's KeyboardInterrupt exit (no outputs);
        # never 0 without outputs is what matters here
        assert proc.returncode in (0, 1, 3, -sig, -signal.SIGINT), err
    assert not strays(work)
    assert checksums(*(work / p for p in INPUTS)) == before


def test_exit_codes_are_documented():
    res = invoke("--help")
    text = " ".join(res.output.split())
    assert "130" in text and "143" in text
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "130" in readme and "143" in readme


# ---- 10. CSV round trip -----------------------------------------------------------------------
def test_csv_tables_round_trip_bit_for_bit(tmp_path):
    """pandas' default float parser is off by one ULP on ~1% of values; ours is exact."""
    rng = np.random.default_rng(17)
    n = 20_000
    frame = pd.DataFrame({
        "normal": rng.normal(size=n),
        "wide": rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, n),
        "money": np.round(rng.lognormal(6, 2, n), 2),
        "tiny": rng.random(n) * 5e-324 * 1e3,  # subnormals
        "count": rng.integers(0, 10**9, n),
    })
    path = tmp_path / "t.csv"
    write_table_atomic(path, frame)
    back = read_table(path)
    assert list(back.dtypes) == list(frame.dtypes)
    for col in ("normal", "wide", "money", "tiny"):
        assert np.array_equal(back[col].to_numpy().view(np.int64),
                              frame[col].to_numpy().view(np.int64)), col
    assert np.array_equal(back["count"].to_numpy(), frame["count"].to_numpy())


def test_a_copied_table_counts_every_row_as_a_copy_after_the_round_trip(work):
    """The issue's symptom: a verbatim copy read back from CSV matches the original exactly."""
    real = read_table(work / "real.csv")
    write_table_atomic(work / "copy.csv", real)
    copy = read_table(work / "copy.csv")
    assert len(real.merge(copy, how="inner")) == len(real)


# ---- 13. messages: --debug, YAML, options, permissions, duplicated columns, DAG names --------
def test_debug_exits_2_with_the_traceback(work):
    res = causalsynth("simulate", "acqusition", "-o", "x.csv", "--debug", cwd=work)
    assert res.returncode == 2
    assert "Traceback" in res.stderr and "DAGError" in res.stderr
    assert not (work / "x.csv").exists() and not strays(work)


def test_yaml_syntax_error_is_one_line(work):
    (work / "bad.yaml").write_text("nodes:\n  - {name: a, type: continuous\n  - b: [\n")
    res = invoke("simulate", work / "bad.yaml", "-o", work / "x.csv")
    assert res.exit_code == 2
    assert_one_line_error(res.output, "bad.yaml", "line 3, column 6", "expected ',' or '}'")
    assert not (work / "x.csv").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (["simulate", "acquisition", "--nope"], "No such option: --nope"),
    (["simulate", "acquisition", "-o", "x.csv", "--rows", "0"], "'--rows'"),
    (["validate", "real.csv"], "Missing argument"),
])
def test_option_errors_are_one_line_with_exit_2(work, args, fragment):
    res = causalsynth(*args, cwd=work)
    assert res.returncode == 2, res.stderr
    assert_one_line_error(res.stderr, fragment, "--help")
    assert "╭" not in res.stderr and res.stdout == ""
    assert not (work / "x.csv").exists()


def test_unwritable_output_folder_is_refused_before_any_work(work, monkeypatch):
    """Checked up front, naming the user's path (os.access is faked: the tests may run as
    root, for whom every folder is writable)."""
    locked = work / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        False if Path(p) == locked and mode & os.W_OK else real_access(p, mode, **kw)))
    refuse_compute(monkeypatch)
    res = invoke("validate", work / "real.csv", work / "synth.csv", "--dag", "acquisition",
                 "--json", locked / "r.json")
    assert res.exit_code == 2, res.output
    assert_one_line_error(res.output, str(locked / "r.json"), "no permission to write",
                          str(locked))
    assert ".part" not in res.output
    assert list(locked.iterdir()) == []


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "geteuid"), reason="root can write anywhere")
def test_unwritable_output_folder_through_the_command(work):
    locked = work / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        res = causalsynth("synthesize", "real.csv", "--dag", "my.yaml", "-o", "locked/s.csv",
                          cwd=work)
    finally:
        os.chmod(locked, 0o755)
    assert res.returncode == 2
    assert_one_line_error(res.stderr, "locked/s.csv", "no permission to write")


def test_a_failing_write_names_the_users_path_not_the_temporary_file(tmp_path, monkeypatch):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".r.json.abc.part"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError) as info:
        write_text_atomic(tmp_path / "r.json", "{}")
    assert info.value.filename == str(tmp_path / "r.json")


def test_duplicated_csv_column_is_named_as_such(work):
    real = pd.read_csv(work / "real.csv")
    header = ",".join([*real.columns, "tv_spend"])
    rows = [",".join(map(repr, [*r, r[1]])) for r in real.itertuples(index=False)]
    (work / "dup.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(DataError, match=r"repeats the column name\(s\) 'tv_spend' \(2 times\)"):
        read_table(work / "dup.csv")
    res = invoke("synthesize", work / "dup.csv", "--dag", "acquisition", "-o", work / "s.csv")
    assert res.exit_code == 2
    assert_one_line_error(res.output, "'tv_spend' (2 times)")
    assert "tv_spend.1" not in res.output
    assert not (work / "s.csv").exists()


def test_load_dag_with_an_unknown_name_lists_the_builtins_and_the_path_tried(tmp_path,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DAGError) as info:
        load_dag("no_such_mmm")
    message = str(info.value)
    assert "no built-in DAG named 'no_such_mmm'" in message
    assert all(name in message for name in builtin_dags())
    assert str(tmp_path / "no_such_mmm") in message
    assert "mapping" not in message


@pytest.mark.slow
def test_a_reader_that_stops_reading_does_not_change_the_exit_code(tmp_path):
    """`causalsynth validate ... | head -1`: rich's default exit 1 on a broken pipe would read
    as "not preserved"; the verdict's own code must come back."""
    dag = load_dag("acquisition")
    dag.simulate(300, seed=1).to_csv(tmp_path / "real.csv", index=False)
    dag.simulate(300, seed=2).to_csv(tmp_path / "synth.csv", index=False)
    proc = subprocess.Popen([sys.executable, "-m", "causalsynth", "validate", "real.csv",
                             "synth.csv", "--dag", "acquisition", "--json", "r.json"],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, like `| head -1`
    proc.wait(timeout=300)
    proc.stderr.close()
    verdict = json.loads((tmp_path / "r.json").read_text())["verdict"]
    assert b"attribution" in first
    assert proc.returncode == {"preserved": 0, "inconclusive": 3}.get(verdict, 1)
