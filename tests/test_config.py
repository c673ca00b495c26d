from pathlib import Path

import pytest

from artdl import core
from artdl.core import ConfigKeyError, available_configs, flat_keys, load_config


def test_default_config_has_core_sections():
    cfg = load_config()
    for key in ("seed", "device", "paths", "datasets", "data", "run"):
        assert key in cfg
    assert "wikiart_styles7" in cfg.datasets


def test_full_config_loads_and_only_uses_known_keys():
    assert {"default", "full"} <= set(available_configs())
    full = load_config("full")
    assert full.data.batch_size >= load_config().data.batch_size


def test_override_changes_value_and_type():
    cfg = load_config("default", ["data.split.seed=7", "data.balanced=true"])
    assert cfg.data.split.seed == 7
    assert cfg.data.balanced is True


def test_unknown_override_key_names_closest_key():
    with pytest.raises(ConfigKeyError) as err:
        load_config("default", ["data.splt.seed=3"])
    message = str(err.value)
    assert "data.splt" in message
    assert "data.split" in message


def test_unknown_key_in_config_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  batch_sise: 8\n")
    with pytest.raises(ConfigKeyError, match="data.batch_size"):
        load_config(str(bad))


def test_new_dataset_entries_are_allowed():
    cfg = load_config("default", ["datasets.mine.root=/tmp/x", "datasets.mine.format=imagefolder"])
    assert cfg.datasets.mine.root == "/tmp/x"


def test_override_without_equals_is_a_clear_error():
    with pytest.raises(ValueError, match="key=value"):
        load_config("default", ["data.seed"])


def test_missing_config_name_lists_available():
    with pytest.raises(FileNotFoundError, match="Available"):
        load_config("nonexistent")


def test_scalar_overrides_at_the_top_level():
    cfg = load_config("default", ["num_threads=3", "seed=5"])
    assert cfg.num_threads == 3 and cfg.seed == 5


def test_flat_keys_lists_nested_paths():
    keys = flat_keys(load_config())
    assert "data.split.seed" in keys and "data.split" in keys


def test_wrong_type_fails_at_load_time_with_the_key_name():
    from artdl.core import ConfigTypeError

    with pytest.raises(ConfigTypeError, match="classify.epochs"):
        load_config("default", ["classify.epochs=two"])
    with pytest.raises(ConfigTypeError, match="data.balanced"):
        load_config("default", ["data.balanced=maybe"])


def test_values_carry_their_schema_type():
    cfg = load_config("default", ["data.split.val=0", "classify.epochs=4"])
    assert isinstance(cfg.data.split.val, float)  # an int given for a float key becomes a float
    assert isinstance(cfg.classify.epochs, int) and cfg.classify.epochs == 4


def test_paths_overrides_move_the_artifact_folders(tmp_path: Path):

    try:
        load_config("default", [f"paths.models={tmp_path / 'm'}", f"paths.images={tmp_path / 'i'}"])
        assert core.models_dir("classifier") == tmp_path / "m" / "classifier"
        assert core.images_dir("02_classify") == tmp_path / "i" / "02_classify"
    finally:
        load_config()  # back to the project's folders for the other tests
    assert core.models_dir("classifier") == core.project_root() / "models" / "classifier"


def test_relative_paths_for_printing():
    from artdl.core import project_root, relative

    assert relative(project_root() / "data" / "x.csv") == "data/x.csv"
