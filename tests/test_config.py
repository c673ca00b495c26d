from pathlib import Path

import pytest

from artdl.config import ConfigKeyError, available_configs, flat_keys, load_config


def test_default_config_has_core_sections():
    cfg = load_config()
    for key in ("seed", "device", "paths", "datasets", "data", "run"):
        assert key in cfg
    assert cfg.datasets.aic_paintings.root.endswith("shared/datasets/aic_paintings")


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


def test_interpolation_follows_overrides():
    cfg = load_config("default", ["paths.shared_datasets=/elsewhere"])
    assert cfg.datasets.louvre_genre.root == "/elsewhere/louvre_genre"


def test_flat_keys_lists_nested_paths():
    keys = flat_keys(load_config())
    assert "data.split.seed" in keys and "data.split" in keys
