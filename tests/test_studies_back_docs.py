"""Every study under scripts/studies/ says which section of which doc it backs.

The studies are the evidence behind docs/training_quality.md (and a few behind
docs/measurements.md; issue 28): a study whose header names no section, or a section the
document no longer has, is evidence for nothing and should go.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUDIES = sorted((REPO / "scripts" / "studies").glob("*.py"))


def _headings(doc: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in doc.read_text().splitlines() if line.startswith("#")}


def test_each_study_names_sections_that_exist() -> None:
    assert STUDIES, "no study found"
    for study in STUDIES:
        doc = ast.get_docstring(ast.parse(study.read_text())) or ""
        header = next((p for p in doc.split("\n\n") if p.startswith(("Backs ", "Not a study"))), None)
        assert header is not None, f"{study.name}: no 'Backs docs/...' line in its docstring"
        if header.startswith("Not a study"):
            continue
        doc_path = re.match(r"Backs (docs/\S+\.md)", header)
        assert doc_path, f"{study.name}: its 'Backs' line names no docs/*.md file"
        headings = _headings(REPO / doc_path.group(1).rstrip(","))
        named = re.findall(r'"([^"]+)"', header)
        assert named, f"{study.name}: its 'Backs' line names no section"
        for section in named:
            assert any(h.startswith(section) for h in headings), (
                f"{study.name}: {doc_path.group(1)} has no section starting {section!r}"
            )
