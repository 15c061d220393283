"""Every code block of README.md and docs/*.md is executed or checked, so the docs cannot rot.

How a block is treated depends on its language and on an optional directive: an HTML
comment on the line right above the fence (invisible on GitHub).

``python`` blocks
    Run as a script in a subprocess, in a scratch directory per page (timeout 60 s). They
    may ``assert`` what the prose claims.
    ``<!-- file: NAME.py -->``   written to the page's directory before anything runs
    (later blocks import it); it is also imported once on its own.
    ``<!-- continue -->``        appended to the program of the block before it (one run).
    ``<!-- pytest -->``          a test module: run with ``python -m pytest`` in the
    page's directory (every test must pass; ``--rfs-metrics-report`` is on).
    ``<!-- with: PATH ... -->``  repository files copied into the directory first.
    ``<!-- requires: MODULE -->`` skipped when MODULE is not importable.
    ``<!-- fragment -->``        compiled only (kept for the few blocks that cannot run).
``bash`` blocks
    Not run (they install packages and start servers); each command is checked instead:
    ``pip install`` extras exist, ``pytest`` / ``rfs-monitoring`` / ``uvicorn`` / ``python -m
    benchmarks`` / example scripts accept the options used, ``curl`` paths are routes of the
    demo app, ``tox -e`` environments exist.
``json`` blocks parse (one document or JSON lines); ``toml`` blocks parse and name only real
``rfs_*`` ini options; ``text`` blocks are output and are not checked.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TIMEOUT = 60

_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*([\w-]+)\s*(?::\s*(.*?))?\s*-->\s*$")
DIRECTIVES = frozenset({"file", "continue", "pytest", "with", "requires", "fragment"})


@dataclasses.dataclass
class Block:
    """One fenced code block."""

    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    directives: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def parse_blocks(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page with the directives right above them."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        start = index
        directives: dict[str, str] = {}
        above = start - 1
        while above >= 0 and (found := _DIRECTIVE.match(lines[above])):
            directives[found.group(1)] = found.group(2) or ""
            above -= 1
        end = start + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        assert end < len(lines), f"{page.name}:{start + 1}: unclosed code block"
        code = "\n".join(lines[start + 1 : end]) + "\n"
        blocks.append(Block(page, start + 1, match.group(1) or "text", code, directives))
        index = end + 1
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in parse_blocks(page)]


def _python_programs() -> list[tuple[Block, str]]:
    """Runnable python programs: a block plus the ``continue`` blocks after it."""
    programs: list[tuple[Block, str]] = []
    for block in ALL_BLOCKS:
        if block.lang != "python" or {"file", "fragment", "pytest"} & set(block.directives):
            continue
        if "continue" in block.directives:
            problem = f"{block.id}: <!-- continue --> needs a runnable python block before it"
            assert programs, problem
            assert programs[-1][0].page == block.page, problem
            first, code = programs[-1]
            programs[-1] = (first, code + "\n" + block.code)
        else:
            programs.append((block, block.code))
    return programs


PROGRAMS = _python_programs()


def test_every_directive_is_known() -> None:
    unknown = [
        (block.id, name)
        for block in ALL_BLOCKS
        for name in block.directives
        if name not in DIRECTIVES
    ]
    assert not unknown, f"unknown directives (known: {sorted(DIRECTIVES)})"


def test_fragments_are_few_and_compile() -> None:
    """Blocks that only compile are the exception: runnable ones keep the docs honest."""
    fragments = [b for b in ALL_BLOCKS if "fragment" in b.directives]
    python = [b for b in ALL_BLOCKS if b.lang == "python"]
    assert len(fragments) * 5 <= len(python), [b.id for b in fragments]
    for block in fragments:
        assert block.lang == "python", block.id
        compile(block.code, block.id, "exec")


def test_the_two_commands_come_first() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first = ALL_BLOCKS[0]
    assert first.page.name == "README.md"
    assert first.lang == "bash"
    assert first.code.splitlines()[0].startswith(
        'pip install -e ".[fastapi]" && rfs-monitoring demo'
    )
    assert first.code.splitlines()[1].startswith(
        'pip install -U "pip>=25.1" && pip install -e ".[all]" --group test '
        "&& python -m pytest -n auto"
    )
    assert all(not line.startswith("## ") for line in lines[: first.line])


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m coverage run -m pytest -p no:cacheprovider -q -n auto" in ci


def test_relative_links_point_to_files() -> None:
    """Links between the pages and to repository files resolve (RESULTS.md is generated
    by ``python -m benchmarks``, so it may be missing in a fresh clone)."""
    generated = {ROOT / "benchmarks" / "RESULTS.md"}
    broken = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists() and path not in generated:
                broken.append(f"{page.name}: {target}")
    assert not broken


# --------------------------------------------------------------------------- python


def _workdir(tmp_path_factory: pytest.TempPathFactory, page: Path) -> Path:
    """The page's scratch directory with its ``file:`` blocks written."""
    directory = tmp_path_factory.mktemp(page.stem.replace(".", "_"))
    for block in ALL_BLOCKS:
        if block.page == page and "file" in block.directives:
            (directory / block.directives["file"]).write_text(block.code, encoding="utf-8")
    return directory


def _prepare(block: Block, directory: Path) -> None:
    module = block.directives.get("requires")
    if module and importlib.util.find_spec(module) is None:  # found, not imported here
        pytest.skip(f"{block.id} needs {module}, which is not installed")
    for name in block.directives.get("with", "").split():
        shutil.copy(ROOT / name, directory / Path(name).name)


def _python(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("RFS_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=env,
    )


@pytest.mark.parametrize(("block", "code"), PROGRAMS, ids=[p[0].id for p in PROGRAMS])
def test_python_block_runs(
    block: Block, code: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = _workdir(tmp_path_factory, block.page)
    _prepare(block, directory)
    script = directory / f"block_{block.line}.py"
    script.write_text(code, encoding="utf-8")
    run = _python(directory, script.name)
    assert run.returncode == 0, f"{block.id} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"


FILES = [b for b in ALL_BLOCKS if b.lang == "python" and "file" in b.directives]


@pytest.mark.parametrize("block", FILES, ids=[b.id for b in FILES])
def test_python_file_block_imports(block: Block, tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = _workdir(tmp_path_factory, block.page)
    _prepare(block, directory)
    module = Path(block.directives["file"]).stem
    run = _python(directory, "-c", f"import {module}")
    assert run.returncode == 0, f"{block.id}:\n{run.stderr[-3000:]}"


TESTS = [b for b in ALL_BLOCKS if b.lang == "python" and "pytest" in b.directives]


@pytest.mark.parametrize("block", TESTS, ids=[b.id for b in TESTS])
def test_pytest_block_passes(block: Block, tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = _workdir(tmp_path_factory, block.page)
    _prepare(block, directory)
    (directory / f"test_doc_{block.line}.py").write_text(block.code, encoding="utf-8")
    run = _python(
        directory,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rfs-metrics-report=term",
        f"test_doc_{block.line}.py",
    )
    assert run.returncode == 0, f"{block.id}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    assert re.search(r"\d+ passed", run.stdout)
    assert not re.search(r"\d+ (failed|error|skipped)", run.stdout), run.stdout[-2000:]


# --------------------------------------------------------------------------- data blocks


@pytest.mark.parametrize(
    "block",
    [b for b in ALL_BLOCKS if b.lang == "json"],
    ids=[b.id for b in ALL_BLOCKS if b.lang == "json"],
)
def test_json_block_parses(block: Block) -> None:
    try:
        json.loads(block.code)
    except json.JSONDecodeError:
        for line in block.code.splitlines():
            if line.strip():
                json.loads(line)


TOML = [b for b in ALL_BLOCKS if b.lang == "toml"]


@pytest.mark.parametrize("block", TOML, ids=[b.id for b in TOML])
def test_toml_block_parses_and_names_real_ini_options(block: Block) -> None:
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads(block.code)
    ini = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
    for name in ini:
        if name.startswith("rfs_"):
            assert re.search(rf"^  {name} \(", _help("pytest"), re.MULTILINE), name


# --------------------------------------------------------------------------- bash


@functools.cache
def _help(*command: str) -> str:
    """The ``--help`` text of a command (run from the repository root)."""
    if command[0] == "pytest":
        args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *command[1:], "--help"]
    elif command[0] == "python":
        args = [sys.executable, *command[1:], "--help"]
    else:
        executable = shutil.which(command[0], path=str(Path(sys.executable).parent))
        assert executable is not None, f"{command[0]} is not installed"
        args = [executable, *command[1:], "--help"]
    run = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert run.returncode == 0, f"{' '.join(command)} --help failed: {run.stderr[-1000:]}"
    return run.stdout


def _options(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if a.startswith("-") and a != "-"]


def _check_options(args: list[str], helptext: str, what: str) -> None:
    for option in _options(args):
        assert re.search(rf"(^|[\s,]){re.escape(option)}([\s=,\[]|$)", helptext, re.M), (
            f"{what} has no option {option}"
        )


@functools.cache
def _extras() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^(\w+) = ", section, re.MULTILINE))


@functools.cache
def _groups() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[dependency-groups]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^(\w+) = ", section, re.MULTILINE))


@functools.cache
def _routes() -> list[re.Pattern[str]]:
    """The paths the demo app serves (its OpenAPI document lists every route)."""
    from rfs_monitoring import ResultMetricsCollector
    from rfs_monitoring.demo import create_app

    app = create_app(collector=ResultMetricsCollector())
    patterns = []
    for path in app.openapi()["paths"]:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        patterns.append(re.compile(regex + "$"))
    return patterns


def _check_pytest(args: list[str]) -> None:
    plugins = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-p"]
    _check_options(args, _help("pytest"), "pytest")
    for arg in args:
        if not arg.startswith("-") and arg not in plugins and "/" in arg:
            path = arg.split("::", 1)[0]
            assert (ROOT / path).exists() or not path.startswith(("examples", "tests")), arg


def check_command(words: list[str]) -> None:
    """Check one shell command against what is installed and shipped."""
    head, args = words[0], words[1:]
    if head == "pip":
        assert args[0] == "install", words
        rest = iter(args[1:])
        for arg in rest:
            match = re.fullmatch(r"(?:\.|rfs-monitoring)\[([\w,]+)\]", arg)
            if match:
                assert set(match.group(1).split(",")) <= _extras(), arg
            elif arg == "--group":
                assert next(rest, None) in _groups(), words
            elif re.fullmatch(r"pip>=[\d.]+", arg):
                continue
            elif arg not in {"-e", "-U", "--upgrade"}:
                importlib.metadata.version(arg)  # a package the docs name: installed here
    elif head == "pytest":
        _check_pytest(args)
    elif head == "python" and args[:2] == ["-m", "pytest"]:
        _check_pytest(args[2:])
    elif head == "python" and args[:2] == ["-m", "benchmarks"]:
        helptext = _help("python", "-m", "benchmarks")
        _check_options(args[2:], helptext, "python -m benchmarks")
        for name in (a for a in args[2:] if not a.startswith("-")):
            assert (ROOT / "benchmarks" / f"{name}.py").exists(), name
    elif head == "python":
        script = ROOT / args[0]
        assert script.exists(), args[0]
        _check_options(args[1:], _help("python", args[0]), args[0])
    elif head in {"rfs-monitoring", "uvicorn"}:
        command = (head, args[0]) if head == "rfs-monitoring" else (head,)
        _check_options(args, _help(*command), " ".join(command))
    elif head == "curl":
        urls = [a for a in args if a.startswith("http")]
        assert urls, words
        for url in urls:
            path = urllib.parse.urlsplit(url).path
            assert any(p.match(path) for p in _routes()), f"no route serves {path}"
    elif head == "tox":
        tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
        for env in args[args.index("-e") + 1].split(","):
            assert f"[testenv:{env}]" in tox or re.search(rf"envlist = .*\b{env}\b", tox), env
    elif head == ".ci/run":
        assert os.access(ROOT / ".ci" / "run", os.X_OK)
    else:
        pytest.fail(f"the docs use a command this test does not know how to check: {words}")


BASH = [b for b in ALL_BLOCKS if b.lang in {"bash", "sh", "shell"}]


@pytest.mark.parametrize("block", BASH, ids=[b.id for b in BASH])
def test_bash_block_commands_exist(block: Block) -> None:
    for line in block.code.splitlines():
        words = shlex.split(line, comments=True)
        command: list[str] = []
        for word in [*words, "&&"]:
            if word in {"&&", "||", ";", "|"}:
                if command:
                    check_command(command)
                command = []
            else:
                command.append(word)


def _documented_callables() -> list[object]:
    from rfs_monitoring import (
        AlertManager,
        MetricsArchive,
        ResultMetricsCollector,
        configure_logging,
        log_flux_result,
        log_result_operation,
    )
    from rfs_monitoring.alerts import AlertConfiguration, WebhookNotifier
    from rfs_monitoring.dashboard import HealthThresholds, api_key_auth, monitoring_router
    from rfs_monitoring.export import OpenTelemetryBridge, PrometheusExporter
    from rfs_monitoring.tracing import configure_tracing
    from rfs_monitoring.web import CorrelationIdMiddleware

    return [
        configure_logging,
        log_result_operation,
        log_flux_result,
        ResultMetricsCollector,
        MetricsArchive,
        PrometheusExporter,
        OpenTelemetryBridge,
        configure_tracing,
        monitoring_router,
        HealthThresholds,
        api_key_auth,
        AlertManager,
        AlertConfiguration,
        WebhookNotifier,
        CorrelationIdMiddleware,
    ]


def test_the_configuration_reference_lists_every_parameter() -> None:
    import inspect

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"{getattr(fn, '__qualname__', fn)}({name})"
        for fn in _documented_callables()
        for name in inspect.signature(fn).parameters  # type: ignore[arg-type]
        if name not in {"self", "app", "options"}
        and not re.search(rf"(`|\(|, |^){name}\b", page, re.MULTILINE)
    ]
    assert not missing, f"undocumented parameters in docs/configuration.md: {missing}"


def test_the_configuration_reference_lists_every_environment_variable() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    sources = [
        *ROOT.joinpath("rfs_monitoring").rglob("*.py"),
        *ROOT.joinpath("pytest_rfs").rglob("*.py"),
    ]
    variables = {
        name
        for path in sources
        for name in re.findall(
            r"environ(?:\.get)?\(\s*[\"'](\w+)", path.read_text(encoding="utf-8")
        )
    }
    assert variables
    assert not [v for v in sorted(variables) if f"`{v}`" not in page]


def test_the_configuration_reference_lists_every_pytest_option() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    helptext = _help("pytest")
    options = set(re.findall(r"^  (--rfs-[\w-]+)", helptext, re.MULTILINE))
    ini = set(re.findall(r"^  (rfs_\w+) \(", helptext, re.MULTILINE))
    assert options
    assert ini
    assert not [o for o in sorted(options | ini) if f"`{o}" not in page]
