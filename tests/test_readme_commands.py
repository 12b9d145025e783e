"""Every project command the README (and a pipeline docstring) shows exists and takes its flags.

The README's long material lives in docs/usage.md, which is checked the same way. Commands are
read from the README's code blocks and inline code, and from docstring lines: `python -m pipeline.X …`,
`python -m unit_core.X …`, `unit-pipeline STAGE …`, `unit-bench …` and `make TARGET`. Each
module's `main(["--help"])` must exit 0 and its help must name every `--flag` the README passes
it; each make target must exist in the Makefile.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS
from pipeline.io.code_imports import entry_modules

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
USAGE = REPO / "docs" / "usage.md"  # the README's material beyond the default pipeline
ENTRY = re.compile(  # a module may sit in a package: python -m pipeline.bench.train
    r"(?:python -m ((?:pipeline|unit_core)(?:\.\w+)+)|unit-pipeline ([a-z_]+)|unit-bench)"
)


def readme_commands(text: str) -> list[str]:
    """Shell commands in fenced blocks (continuations joined, comments cut) and inline code."""
    commands = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            commands.append(line.split("  #")[0].split(" # ")[0].strip())
    text_only = re.sub(r"```.*?```", "", text, flags=re.S)
    commands += re.findall(r"`([^`\n]+)`", text_only)
    return [c for c in commands if c]


def docstring_commands(root: Path = REPO / "pipeline") -> list[str]:
    """Lines of the pipeline modules' docstrings that show a command (`python -m …`)."""
    lines = []
    for path in sorted(root.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        lines += [line.strip() for line in doc.splitlines() if ENTRY.search(line)]
    return lines


def entry_invocations(commands: list[str]) -> list[tuple[str, list[str]]]:
    """(module, flags) for every project entry point invoked in `commands`."""
    found = []
    for command in commands:
        for match in ENTRY.finditer(command):
            module = match.group(1) or (
                COMMANDS.get(match.group(2), f"<unknown stage {match.group(2)}>")
                if match.group(2) else "pipeline.bench"
            )
            rest = re.split(r"\s(?:&&|\||;)\s", command[match.end():])[0]
            words = rest.replace("[", " ").replace("]", " ").split()
            flags = sorted({w.split("=")[0] for w in words if re.fullmatch(r"--[\w-]+(=.*)?", w)})
            found.append((module, flags))
    return found


INVOCATIONS = sorted(
    set(
        (module, tuple(flags))
        for module, flags in entry_invocations(
            readme_commands(README.read_text() + USAGE.read_text()) + docstring_commands()
        )
    )
)


def test_the_readme_shows_every_stage_command():
    modules = {module for module, _ in INVOCATIONS}
    assert {"pipeline.prepare", "pipeline.train", "pipeline.evaluate", "pipeline.tune"} <= modules
    assert "pipeline.translate" in modules


@pytest.mark.parametrize("module, flags", INVOCATIONS, ids=[f"{m} {' '.join(f)}" for m, f in INVOCATIONS])
def test_readme_command_runs_help_and_knows_its_flags(module, flags, capsys):
    main = importlib.import_module(entry_modules(module)[-1]).main  # a package: its __main__
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    unknown = [flag for flag in flags if flag not in shown]
    assert not unknown, f"README passes {module} flags its --help does not list: {unknown}"


def test_readme_make_targets_exist():
    targets = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.M))
    text = README.read_text() + USAGE.read_text()
    used = {m for c in readme_commands(text) for m in re.findall(r"\bmake ([\w-]+)", c)}
    assert used and used <= targets


def test_no_command_the_project_does_not_have():
    """`pipeline train` (without `unit-` or `python -m`) was documented but never existed."""
    stale = [
        c for c in readme_commands(README.read_text() + USAGE.read_text())
        if re.search(r"(?<![\w.-])pipeline (prepare|train|evaluate|tune|translate)\b", c)
    ]  # fmt: skip
    assert not stale


def test_unit_pipeline_stage_is_the_module_main(monkeypatch):
    from pipeline import cli

    seen = []
    module = importlib.import_module(cli.COMMANDS["evaluate"])
    monkeypatch.setattr(module, "main", lambda argv: seen.append(argv) or 7)
    assert cli.main(["evaluate", "--section", "adapt"]) == 7
    assert seen == [["--section", "adapt"]]
    assert cli.main(["nope"]) == 2


def test_unit_pipeline_console_script_is_installed():
    script = Path(sys.executable).with_name("unit-pipeline")
    if not script.exists():
        pytest.skip("the project is not installed in this environment (pip install -e .)")
    proc = subprocess.run([str(script), "translate", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "usage: unit-pipeline translate" in proc.stdout
