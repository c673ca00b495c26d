from pathlib import Path

import pytest
from omegaconf import OmegaConf

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
    assert full.classify.batch_size >= load_config().classify.batch_size


def test_override_changes_value_and_type():
    cfg = load_config("default", ["data.split.seed=7", "classify.balanced=true"])
    assert cfg.data.split.seed == 7
    assert cfg.classify.balanced is True


def test_unknown_override_key_names_closest_key():
    with pytest.raises(ConfigKeyError) as err:
        load_config("default", ["data.splt.seed=3"])
    message = str(err.value)
    assert "data.splt" in message
    assert "data.split" in message


def test_unknown_key_in_config_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  num_workrs: 8\n")
    with pytest.raises(ConfigKeyError, match="data.num_workers"):
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
    with pytest.raises(ConfigTypeError, match="classify.balanced"):
        load_config("default", ["classify.balanced=maybe"])


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


# --- value ranges, checked at load -------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("classify.epochs=-1", "classify.epochs=-1: must be an integer >= 1"),
        ("classify.batch_size=0", "classify.batch_size=0: must be an integer >= 1"),
        ("classify.lr=0", "classify.lr=0.0: must be a number > 0"),
        ("classify.unfreeze_stages=-2", "classify.unfreeze_stages=-2: must be an integer >= -1"),
        ("classify.crop_scale=[0,1]", "classify.crop_scale=[0, 1]: every item must be a number in (0, 1]"),
        ("data.split.val=1.0", "data.split.val=1.0: must be a number in [0, 1)"),
        ("data.num_workers=-1", "data.num_workers=-1: must be an integer >= 0"),
        ("autoencode.mask_prob=1.5", "autoencode.mask_prob=1.5: must be a number in [0, 1]"),
        ("autoencode.channels=[16,-32]", "autoencode.channels=[16, -32]: every item must be an integer >= 1"),
        ("autoencode.tsne_iterations=100", "autoencode.tsne_iterations=100: must be an integer >= 250"),
        ("retrieve.k=0", "retrieve.k=0: must be an integer >= 1"),
        ("retrieve.influence.weights=[0,-0.1]", "retrieve.influence.weights=[0, -0.1]: every item must be a number >= 0"),
        ("gan.ema_decay=1", "gan.ema_decay=1.0: must be a number in [0, 1)"),
        ("gan.dcgan.betas=[0.5,1.0]", "gan.dcgan.betas=[0.5, 1.0]: every item must be a number in [0, 1)"),
        ("vqgan_clip.size=huge", "vqgan_clip.size=huge: must be auto or an integer >= 16"),
        ("vqgan_clip.size=8", "vqgan_clip.size=8: must be auto or an integer >= 16"),
        ("explorer.k=0", "explorer.k=0: must be an integer >= 1"),
        ("seed=-3", "seed=-3: must be an integer in [0, 4294967295]"),
        ("crawl.fixture.per_style=0", "crawl.fixture.per_style=0: must be an integer >= 1"),
    ],
)
def test_out_of_range_override_fails_at_load_naming_key_value_and_range(override: str, message: str):
    from artdl.core import ConfigRangeError

    with pytest.raises(ConfigRangeError) as err:
        load_config("default", [override])
    assert str(err.value) == message


@pytest.mark.parametrize(
    "override",
    ["classify.unfreeze_stages=-1", "data.split.near_duplicates=-1", "classify.scratch.epochs=0",
     "classify.head_epochs=0", "vqgan_clip.size=256", "vqgan_clip.save_every=0", "explorer.limit=0",
     "retrieve.influence.graph_weight=0", "classify.weights_path=null"],
)  # fmt: skip
def test_documented_special_values_stay_allowed(override: str):
    """A special value (-1 = all, 0 = off, null = none) loads and reaches the config as written: not
    refused by its range, and not replaced by a default or clamped on the way."""
    import yaml

    key, written = override.split("=", 1)
    cfg = load_config("default", [override])
    value, expected = OmegaConf.select(cfg, key, throw_on_missing=True), yaml.safe_load(written)
    if expected is None:
        assert value is None
    else:  # a key typed "auto or an integer" keeps 256 as the text "256"; a float key 0 as 0.0
        assert yaml.safe_load(str(value)) == expected, (key, value)


def test_bad_value_in_a_config_file_fails_at_load(tmp_path: Path):
    from artdl.core import ConfigRangeError

    bad = tmp_path / "bad.yaml"
    bad.write_text("gan:\n  wgan_gp:\n    n_critic: 0\n")
    with pytest.raises(ConfigRangeError, match=r"^gan\.wgan_gp\.n_critic=0: must be an integer >= 1$"):
        load_config(str(bad))


def test_shipped_configs_are_in_range():
    from artdl.core import check_ranges

    for name in available_configs():
        check_ranges(load_config(name))  # load_config checks too; this names the config that fails


def test_every_numeric_key_has_a_range_and_every_range_a_key():
    """A numeric key added to default.yaml needs its row in artdl.core.ranges.RANGES.

    Keys under the user-extensible sections (a data set's own keys) may go without one.
    """
    import fnmatch

    from artdl.core import RANGES, range_for
    from artdl.core.ranges import _leaves

    def numeric(value) -> bool:
        items = value if isinstance(value, list) else [value]
        return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)

    from artdl.core.config import OPEN_SECTIONS

    leaves = [(k, v) for k, v in _leaves(OmegaConf.to_container(load_config())) if numeric(v)]
    leaves = [(k, v) for k, v in leaves if not k.startswith(tuple(s + "." for s in OPEN_SECTIONS))]
    unchecked = [k for k, _ in leaves if range_for(k) is None]
    assert not unchecked, f"numeric keys without a row in artdl.core.ranges.RANGES: {unchecked}"
    keys = flat_keys(load_config())
    dead = [p for p, _ in RANGES if not any(fnmatch.fnmatchcase(k, p) for k in keys)]
    assert not dead, f"rows of RANGES that match no key of default.yaml: {dead}"


def test_range_descriptions():
    from artdl.core import Range

    assert Range(1, integer=True).describe() == "an integer >= 1"
    assert Range(0, 1, open_hi=True).describe() == "a number in [0, 1)"
    assert Range(0, open_lo=True).describe() == "a number > 0"
    assert Range(16, integer=True, words=("auto",)).describe() == "auto or an integer >= 16"
    assert Range(1, integer=True).allows(3) and not Range(1, integer=True).allows(True)
    assert not Range(0).allows(float("nan"))


def test_cli_reports_a_bad_value_in_one_line_with_exit_code_2(capsys: pytest.CaptureFixture[str]):
    from artdl.cli.main import main

    assert main(["run", "--only", "02", "classify.epochs=-1"]) == 2
    err = capsys.readouterr().err
    assert err == "error: classify.epochs=-1: must be an integer >= 1\n"
