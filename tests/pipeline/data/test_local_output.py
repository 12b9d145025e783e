"""Staging folders of killed prepare runs are removed by the next run; live runs' are not."""

import logging
import subprocess
import sys

from pipeline.data.write_dataset import prepare_dataset
from tests.pipeline.data.tiny_params import aerial_params


def test_staging_folder_of_a_dead_run_is_removed_and_a_live_one_kept(tmp_path, caplog):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (dead_pid, live.pid):  # what a SIGKILLed run leaves: a half-written folder
            staging = tmp_path / f".out.tmp-{pid}"
            staging.mkdir()
            (staging / "a-train-00000-0123456789ab.parquet").write_bytes(b"half")
        (tmp_path / ".other.tmp-1").mkdir()  # another output's: not ours to judge
        with caplog.at_level(logging.WARNING):
            prepare_dataset(aerial_params(str(tmp_path / "out")), "maps", progress=False)
        names = sorted(p.name for p in tmp_path.iterdir())
        assert names == [".other.tmp-1", f".out.tmp-{live.pid}", "out"]
        assert f".out.tmp-{dead_pid}" in caplog.text and "no longer running" in caplog.text
    finally:
        live.kill()
        live.wait()
