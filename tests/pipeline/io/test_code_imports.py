"""The import walk behind the DVC deps test and the code fingerprint, on a tiny fake project."""

from __future__ import annotations

from pathlib import Path

from pipeline.io.code_imports import entry_modules, has_code, project_imports


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_walk_follows_lazy_relative_and_submodule_imports(tmp_path):
    _write(tmp_path, "pipeline/__init__.py", '"""Doc only."""\n')
    _write(tmp_path, "pipeline/stage/__init__.py", "")
    _write(tmp_path, "pipeline/stage/__main__.py", "from pipeline.stage import run\n")
    _write(tmp_path, "pipeline/stage/run.py", "def f():\n    from .loop import g\n")
    _write(tmp_path, "pipeline/stage/loop.py", "import numpy\nfrom unit_core import model\n")
    _write(tmp_path, "pipeline/unused.py", "x = 1\n")
    _write(tmp_path, "unit_core/__init__.py", "")
    _write(tmp_path, "unit_core/model.py", "from ..pipeline import nothing_here\n")
    entries = entry_modules("pipeline.stage", root=tmp_path)
    assert entries == ("pipeline.stage", "pipeline.stage.__main__")
    found = set(project_imports(*entries, root=tmp_path))
    assert found == {
        "pipeline", "pipeline.stage", "pipeline.stage.__main__", "pipeline.stage.run",
        "pipeline.stage.loop", "unit_core", "unit_core.model",
    }  # fmt: skip
    assert not has_code(tmp_path / "pipeline/__init__.py")
    assert has_code(tmp_path / "pipeline/unused.py")
