"""The paper presets switch off everything `params.yaml` turns on beyond the paper."""

from pathlib import Path

import pytest

from pipeline.io.params_file import load_run_params
from unit_core.da.config import DaConfig
from unit_core.unit.config import UnitConfig

REPO = Path(__file__).resolve().parents[2]
PARAMS = REPO / "params.yaml"


@pytest.mark.parametrize(
    "presets",
    [
        ["presets/da_paper_mnist_usps.yaml"],
        ["presets/da_paper_mnist_usps.yaml", "presets/da_paper_usps_mnist.yaml"],
        ["presets/da_svhn_mnist.yaml"],
    ],
)
def test_da_paper_presets_are_faithful(presets):
    params = load_run_params(PARAMS, [REPO / p for p in presets])
    cfg = DaConfig.from_dict(params["da"])
    assert cfg.optimizer.ema_decay == 0 and not cfg.model.mirror_private_init
    assert cfg.loss.translated_classification == 0 and cfg.model.dis_kernel == 5
    assert params["adapt"]["select"] == "last"
    assert params["adapt"]["speed"]["precision"] == "fp32"  # explicit: auto is bf16 on some CPUs


def test_translation_paper_preset_is_faithful():
    params = load_run_params(PARAMS, [REPO / "presets/translation_paper.yaml"])
    cfg = UnitConfig.from_dict(params["unit"])
    assert cfg.optimizer.ema_decay == 0 and cfg.optimizer.dis_lr == 0
    assert cfg.optimizer.discriminator_lr == cfg.optimizer.lr  # one learning rate, as the paper
    assert not cfg.model.mirror_private_init
    assert params["train"]["select"] == "last"
    assert params["train"]["speed"]["precision"] == "fp32"  # explicit: auto is bf16 on some CPUs


def test_the_laptop_default_turns_the_switches_on():
    """Guards the other direction: the default's measured settings are what the README says."""
    params = load_run_params(PARAMS)
    unit, da = UnitConfig.from_dict(params["unit"]), DaConfig.from_dict(params["da"])
    assert unit.optimizer.ema_decay == da.optimizer.ema_decay == 0.99
    assert unit.optimizer.dis_lr == 2e-4 and da.model.mirror_private_init
    assert da.model.dis_kernel == 3 and params["adapt"]["speed"]["precision"] == "bf16"
    assert params["train"]["select"] == "best_val"
