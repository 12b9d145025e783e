"""`model.family` picks the config, translator and trainer; checkpoints cannot cross families."""

from __future__ import annotations

import pytest

from tests.unit_core.munit.tiny import tiny_munit_config
from tests.unit_core.tiny import tiny_config
from unit_core.model_family import build_trainer, build_translator, config_from_dict, family_of
from unit_core.munit.config import MunitConfig
from unit_core.munit.trainer import MunitTrainer
from unit_core.munit.translator import MunitTranslator
from unit_core.typed_config import ConfigError
from unit_core.unit.config import UnitConfig
from unit_core.unit.trainer import UnitTrainer
from unit_core.unit.translator import UnitTranslator


def test_family_picks_config_translator_and_trainer():
    unit, munit = tiny_config(), tiny_munit_config()
    assert isinstance(config_from_dict(unit.to_dict()), UnitConfig)
    assert isinstance(config_from_dict(munit.to_dict()), MunitConfig)
    assert isinstance(build_translator(unit), UnitTranslator)
    assert isinstance(build_translator(munit), MunitTranslator)
    assert isinstance(build_trainer(unit), UnitTrainer)
    assert isinstance(build_trainer(munit), MunitTrainer)


def test_a_dict_without_family_is_unit_and_an_unknown_family_names_the_key():
    assert family_of({"model": {"n_shared": 1}}) == "unit"
    with pytest.raises(ConfigError, match=r"munit\.model\.family"):
        family_of({"model": {"family": "cyclegan"}}, prefix="munit.")


def test_a_checkpoint_of_the_other_family_is_refused_by_name():
    state = build_trainer(tiny_munit_config()).state_dict()
    with pytest.raises(ValueError, match="checkpoint is a munit model, this trainer trains unit"):
        build_trainer(tiny_config()).load_state_dict(state)
