"""`translate` writing onto a full disk, into a read-only folder or one it may not write: one
line naming the output, exit 2, no temp file and only whole PNGs (real mounts:
tests/fixtures/mounts.py, skipped where mounting is refused)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.mounts import FILLER, fill
from tests.pipeline.translate.fixtures import (
    read_png,
    run_cli,
    save_model,
    unit_trainer,  # noqa: F401 (fixture)
    write_images,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def unit_model(unit_trainer, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    return save_model(unit_trainer, tmp_path_factory.mktemp("model") / "translator.pt")


def _only_error(caplog) -> str:
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback
    return line


def test_full_disk_exits_2_naming_an_output_and_leaves_only_whole_pngs(
    unit_model, tmp_path, mounts, caplog, capsys
):
    write_images(tmp_path / "in", channels=1, count=6)
    disk = mounts.full_disk(tmp_path / "disk")
    out = disk / "maps"
    out.mkdir()
    fill(disk, leave_bytes=4096)  # room for a PNG or two, not six
    code, summary = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                            "--output", str(out), "--size", "train")  # fmt: skip
    assert (code, summary) == (2, None)
    line = _only_error(caplog)
    assert line.startswith(f"{out}/img") and line.endswith(".png: no space left on device")
    for png in out.iterdir():  # what was written before the disk filled: whole, final names
        assert png.name.startswith("img") and png.suffix == ".png"
        assert read_png(png.read_bytes())[1].shape == (3, 16, 16)  # a2b: RGB
    assert sorted(p.name for p in disk.iterdir()) == sorted([FILLER, "maps"])


def test_read_only_output_exits_2_naming_it(unit_model, tmp_path, mounts, caplog, capsys):
    write_images(tmp_path / "in", channels=1, count=2)
    out = tmp_path / "maps"
    out.mkdir()
    mounts.read_only(out)
    code, _ = run_cli(capsys, "--model", str(unit_model), "--input", str(tmp_path / "in"),
                      "--output", str(out / "a2b"))  # fmt: skip
    assert code == 2
    assert _only_error(caplog) == f"{out / 'a2b'}: read-only file system"


def test_output_the_user_may_not_write_exits_2_saying_permission_denied(unit_model, tmp_path):
    # Root ignores mode bits: the stage runs without CAP_DAC_OVERRIDE, as an ordinary user would.
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run the stage without the power to ignore modes")
    write_images(tmp_path / "in", channels=1, count=2)
    out = tmp_path / "maps"
    out.mkdir(mode=0o555)
    out.chmod(0o555)
    caps = "-dac_override,-dac_read_search"
    done = subprocess.run(
        [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", sys.executable, "-m",
         "pipeline.translate", "--model", str(unit_model), "--input", str(tmp_path / "in"),
         "--output", str(out), "--device", "cpu", "--no-progress"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    if done.returncode != 0 and "setpriv" in done.stderr:
        pytest.skip(f"setpriv refused here: {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == [f"ERROR pipeline.translate: {out}/img0.png: permission denied"] or errors == [
        f"ERROR pipeline.translate: {out}/img1.png: permission denied"
    ]
    assert "Traceback" not in done.stderr and list(out.iterdir()) == []
