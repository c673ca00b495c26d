"""Data-parallel training on 2 CPU processes with gloo on 127.0.0.1 (issue #24).

One 2-process job (``torch.multiprocessing.spawn``) runs the classifier's ``fit``, the WGAN-GP loop
and a 2-step GAN run for resuming; the tests compare what it left with 1-process runs here.

Batch norm: PyTorch's SyncBatchNorm refuses CPU tensors, and plain batch norm normalises each
rank's half-batch by its own statistics, so exact equivalence needs batch norm out of the way.
These tests **hold every batch-norm layer in eval mode** (the classifier with ``freeze_bn=True``;
the generator by patching ``_BatchNorm.train``, in the 1- and the 2-process runs alike), and the
WGAN-GP critic uses layer norm. Dropout is 0. Everything else is the code users run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from artdl.classify import FitConfig, evaluate, fit
from artdl.core import distributed
from artdl.gan import train_gan
from artdl.models import Classifier

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["a", "b", "c"]
RECIPE = FitConfig(epochs=2, lr=1e-2, warmup=0.3, freeze_bn=True, precision="fp32", seed=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiny_classifier() -> Classifier:
    """The real Classifier (features -> pool -> dropout -> head) on a two-stage conv net."""
    torch.manual_seed(0)
    features = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.BatchNorm2d(16),
        nn.ReLU(),
    )  # fmt: skip
    return Classifier(features, 16, len(CLASSES), [features[:3], features[3:]], features[3], dropout=0.0)


def _loaders() -> dict[str, DataLoader]:
    g = torch.Generator().manual_seed(1)

    def part(n: int, shuffle: bool = False) -> DataLoader:
        x, y = torch.randn(n, 3, 12, 12, generator=g), torch.randint(0, len(CLASSES), (n,), generator=g)
        return DataLoader(TensorDataset(x + y.view(-1, 1, 1, 1).float(), y), batch_size=8, shuffle=shuffle)

    train = part(20, shuffle=True)
    return {
        "train": train,
        "train_eval": DataLoader(train.dataset, batch_size=8),
        "val": part(11),
        "test": part(11),
    }


def _gan_cfg(**changes: Any) -> Any:
    cfg = {
        "resolution": 16, "z_dim": 8, "width": 4, "conditional": True, "batch_size": 8, "ema_decay": 0.9,
        "amp": False, "resume": False, "checkpoint_every": 0, "grid_every_epochs": 0, "grid_size": 4,
        "log_every": 2, "sync_batchnorm": False,
        "wgan_gp": {"steps": 3, "n_critic": 2, "gp_lambda": 10.0, "lr_g": 2e-3, "lr_d": 2e-3,
                    "betas": [0.0, 0.9], "critic_norm": "layer"},
    }  # fmt: skip
    return OmegaConf.merge(OmegaConf.create(cfg), OmegaConf.create(changes))


def _gan_data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return torch.randint(0, 256, (12, 3, 16, 16), dtype=torch.uint8, generator=g), torch.arange(12) % 2


def _hold_batchnorm_in_eval() -> None:
    nn.modules.batchnorm._BatchNorm.train = lambda self, mode=True: nn.Module.train(self, False)  # type: ignore[method-assign]


def _gan(run_dir: Path, steps: int, resume: bool = False) -> Any:
    images, labels = _gan_data()
    return train_gan(images, labels, ["x", "y"], "wgan_gp", _gan_cfg(), run_dir, steps=steps, resume=resume,
                     seed=3, progress=False)  # fmt: skip


def _state(*modules: nn.Module) -> dict[str, torch.Tensor]:
    return {f"{i}.{k}": v.detach().clone() for i, m in enumerate(modules) for k, v in m.state_dict().items()}


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=world)
    try:
        model = _tiny_classifier()
        result = fit(
            model, _loaders(), RECIPE, torch.device("cpu"), name="ddp", probe_classes=CLASSES, progress=False
        )
        accum = _tiny_classifier()
        fit(
            accum, _loaders(), RECIPE.replace(grad_accum=2), torch.device("cpu"), name="accum", progress=False
        )
        _hold_batchnorm_in_eval()
        gan = _gan(Path(out) / f"gan{rank}", steps=3)
        _gan(Path(out) / "resume", steps=2)  # rank 0 writes the checkpoint a 1-process run resumes
        torch.save({"fit": _state(model), "accum": _state(accum), "steps": result.optimizer_steps,
                    "batch": result.batch_size, "test_scores": result.test_scores,
                    "gan": _state(gan.generator, gan.critic, gan.ema), "history": gan.history.to_dict("list")},
                   Path(out) / f"rank{rank}.pt")  # fmt: skip
    finally:
        torch.distributed.destroy_process_group()


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("ddp")
    torch.multiprocessing.spawn(_worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]
    return {"out": out, "ranks": ranks}


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 1e-5) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), atol=atol, rtol=1e-4), k


def test_classifier_steps_on_two_processes_equal_one_process_with_the_same_global_batch(two_processes):
    """k = 4 optimizer steps of global batch 8: 2 ranks x 4 paintings (and 2 x 2 x 2 with
    accumulation) leave the parameters of 1 process x 8 paintings."""
    model = _tiny_classifier()
    result = fit(
        model, _loaders(), RECIPE, torch.device("cpu"), name="one", probe_classes=CLASSES, progress=False
    )
    rank0, rank1 = two_processes["ranks"]
    assert result.optimizer_steps == rank0["steps"] == 4 and result.batch_size == rank0["batch"] == 8
    _assert_same(_state(model), rank0["fit"])
    _assert_same(rank0["fit"], rank1["fit"], atol=0)  # DDP keeps the ranks identical
    _assert_same(_state(model), rank0["accum"])


def test_two_process_evaluation_counts_every_painting_once(two_processes):
    """11 test paintings over 2 ranks: the sampler pads one rank to 6; the gathered scores are the
    11 of one process, in order, and give exactly its top-1."""
    model = _tiny_classifier()
    result = fit(
        model, _loaders(), RECIPE, torch.device("cpu"), name="one", probe_classes=CLASSES, progress=False
    )
    assert result.test_scores is not None
    logits, targets = two_processes["ranks"][0]["test_scores"]
    assert len(targets) == 11 and np.array_equal(targets, result.test_scores[1])
    assert np.allclose(logits, result.test_scores[0], atol=1e-5)
    assert evaluate(logits, targets, CLASSES)["top1"] == evaluate(*result.test_scores, CLASSES)["top1"]


def test_wgan_gp_steps_with_the_gradient_penalty_equal_one_process(two_processes, tmp_path, monkeypatch):
    """3 generator steps x 2 critic steps with the penalty's double backward through the plain
    critic inside a DDP step: no 'marked ready twice' error, the ranks stay identical, and the
    parameters (G, critic, EMA) and logged losses equal those of one process."""
    monkeypatch.setattr(
        nn.modules.batchnorm._BatchNorm, "train", lambda self, mode=True: nn.Module.train(self, False)
    )
    one = _gan(tmp_path / "one", steps=3)
    rank0, rank1 = two_processes["ranks"]
    _assert_same(rank0["gan"], rank1["gan"], atol=0)
    _assert_same(_state(one.generator, one.critic, one.ema), rank0["gan"])
    for key in ("loss_d", "loss_g", "gp", "wasserstein"):
        assert np.allclose(one.history[key], rank0["history"][key], atol=1e-4), key


def test_a_two_process_checkpoint_resumes_on_one_process(two_processes, tmp_path, monkeypatch):
    """The checkpoint of 2 steps on 2 processes, resumed for step 3 on 1, equals 3 steps on 1."""
    monkeypatch.setattr(
        nn.modules.batchnorm._BatchNorm, "train", lambda self, mode=True: nn.Module.train(self, False)
    )
    run_dir = two_processes["out"] / "resume"
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"] == 2
    resumed = _gan(run_dir, steps=3, resume=True)
    straight = _gan(tmp_path / "straight", steps=3)
    assert resumed.resumed_from == 2 and resumed.step == 3
    _assert_same(_state(resumed.generator, resumed.critic, resumed.ema),
                 _state(straight.generator, straight.critic, straight.ema))  # fmt: skip


def _torchrun(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


FAILING = """
import sys, torch
from omegaconf import OmegaConf
from artdl.core import distributed
from artdl.gan import train as gan_train

distributed.init(torch.device("cpu"), timeout_s=60)
real_step, calls = gan_train.critic_step, []
def critic_step(*args):
    calls.append(1)
    if distributed.rank() == 1 and len(calls) == 5:
        raise RuntimeError("boom on rank 1")
    return real_step(*args)
gan_train.critic_step = critic_step
cfg = OmegaConf.create({"resolution": 16, "z_dim": 8, "width": 4, "conditional": False, "batch_size": 4,
    "ema_decay": 0.9, "amp": False, "resume": False, "checkpoint_every": 1, "grid_every_epochs": 0,
    "grid_size": 4, "log_every": 1, "wgan_gp": {"steps": 50, "n_critic": 1, "gp_lambda": 10.0,
    "lr_g": 1e-3, "lr_d": 1e-3, "betas": [0.0, 0.9], "critic_norm": "layer"}})
images = torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8)
gan_train.train_gan(images, None, [], "wgan_gp", cfg, sys.argv[1], progress=False)
"""


def test_one_failing_rank_fails_the_job_in_bounded_time_with_its_error(tmp_path: Path):
    """Rank 1 raises at its 5th critic step while rank 0 waits in the gradient all-reduce: torchrun
    stops rank 0, exits non-zero with rank 1's error, and the checkpoint is whole (atomic)."""
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    started = time.perf_counter()
    done = _torchrun([str(script), str(tmp_path / "run")], timeout=240)
    assert done.returncode != 0
    assert time.perf_counter() - started < 240
    assert "boom on rank 1" in done.stdout + done.stderr
    ckpt = tmp_path / "run" / "checkpoint.pt"
    assert ckpt.exists()  # rank 0 wrote one per step before the failure: whole, never half-written
    assert torch.load(ckpt, weights_only=True)["step"] >= 1


def _painting_folder(root: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, colour in zip(CLASSES, [(200, 40, 40), (40, 200, 40), (40, 40, 200)], strict=True):
        (root / c).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.clip(rng.normal(colour, 40, (40, 40, 3)), 0, 255).astype("uint8")).save(
                root / c / f"{i}.jpg"
            )


def _tiny_set_overrides(tmp_path: Path) -> list[str]:
    """A 3-style painting folder as data set ``tiny``, and every project folder inside ``tmp_path``."""
    _painting_folder(tmp_path / "paintings")
    return [
        f"datasets.tiny.root={tmp_path / 'paintings'}", "datasets.tiny.format=imagefolder", "datasets.tiny.label=label",
        "data.split.near_duplicates=-1",
        *(f"paths.{k}={tmp_path / k}" for k in ("data", "processed", "models", "results")),
        f"paths.shared_datasets={tmp_path / 'none'}",
    ]  # fmt: skip


def _tiny_fine_tune_overrides(tmp_path: Path) -> list[str]:
    """02's whole-net fine-tune from images (the DDP path) on :func:`_tiny_set_overrides`, a minute on 2 CPU processes."""
    return [
        *_tiny_set_overrides(tmp_path), "classify.dataset=tiny", "classify.frozen_cache=false",
        "classify.backbone=scratch_resnet18", "classify.image_size=32", "classify.cache=none", "classify.batch_size=8",
        "classify.head_epochs=1", "classify.epochs=1",
    ]  # fmt: skip


def test_torchrun_two_processes_train_02_and_write_one_results_file_and_one_checkpoint(tmp_path: Path):
    """The 'done when' command of issue #24 (docs/distributed.md runs the same)."""
    overrides = [*_tiny_fine_tune_overrides(tmp_path), "classify.scratch.enabled=false"]
    docs = (REPO / "docs" / "distributed.md").read_text()
    assert all(o.split("=")[0] + "=" in docs for o in overrides)  # the documented command is this one
    done = _torchrun(["-m", "artdl.classify", "--config", "default", *overrides], timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["02_classify.json"]
    assert [p.name for p in (tmp_path / "models").rglob("*.pt")] == ["best.pt"]


def test_launch_finetune_runs_02s_fit_on_two_processes_and_loads_it_like_the_notebook(tmp_path: Path, capsys):
    """Notebook 02 with ``distributed.nproc=2``: torchrun trains, the notebook gets the fit and the weights."""
    from artdl.classify import launch_finetune
    from artdl.core import load_config

    overrides = [*_tiny_fine_tune_overrides(tmp_path), "distributed.nproc=2"]
    cfg = load_config("default", overrides)
    model, fitted = launch_finetune(cfg, "default", overrides, tmp_path / "notebook_out")
    out = capsys.readouterr().out
    assert "fine-tune: best val" in out and "from scratch" not in out  # the baselines stay in the notebook
    assert fitted.test_scores is not None and fitted.linear_probe is not None and fitted.optimizer_steps > 0
    logits, _ = fitted.test_scores
    assert logits.shape[1] == len(CLASSES)
    checkpoint = torch.load(tmp_path / "notebook_out" / "best.pt", weights_only=True)
    saved = checkpoint["state_dict"]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in saved.items())
    assert checkpoint["split"]["seed"] == cfg.data.split.seed  # 04 checks it scores this split's test set
    assert (tmp_path / "results" / "02_classify.default-ddp.json").is_file()


def test_launch_trains_the_gans_on_two_processes_like_the_notebook_would(tmp_path: Path, capsys):
    """The notebook entry: ``distributed.launch("artdl.gan", 2, [...])`` runs torchrun and leaves the
    checkpoints where notebook 06 resumes from them."""
    overrides = [
        *_tiny_set_overrides(tmp_path), "gan.dataset=tiny", "gan.resolution=16", "gan.width=4", "gan.z_dim=8", "gan.batch_size=8",
        "gan.dcgan.steps=2", "gan.wgan_gp.steps=2", "gan.wgan_gp.n_critic=1",
    ]  # fmt: skip
    distributed.launch("artdl.gan", 2, ["--config", "default", *overrides])
    assert "dcgan: 2 generator steps on 2 process(es)" in capsys.readouterr().out
    for kind in ("dcgan", "wgan_gp"):
        assert torch.load(tmp_path / "models" / "gan" / kind / "checkpoint.pt", weights_only=True)["step"] == 2
    with pytest.raises(RuntimeError, match="failed with exit code"):
        distributed.launch("artdl.gan", 2, ["--config", "default", *overrides, "gan.batch_size=7"])  # odd: 2 ranks
    assert "gan.batch_size=7 must be divisible by world size" in capsys.readouterr().out


def test_a_user_error_is_one_line_and_exit_code_2(capsys):
    from artdl.classify.__main__ import main

    assert main(["classify.epochs=-1", "classify.frozen_cache=false"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error (rank 0): classify.epochs=-1: must be an integer >= 1"]


def test_outside_torchrun_every_helper_answers_as_one_process():
    assert not distributed.is_distributed() and distributed.world_size() == 1 and distributed.is_main()
    model = nn.Linear(2, 2)
    assert distributed.wrap(model, torch.device("cpu")) is model and distributed.unwrap(model) is model
    assert distributed.local_batch(8, "gan.batch_size") == 8
    with pytest.raises(ValueError, match="classify.batch_size=9 must be divisible"):
        distributed.local_batch(9, "classify.batch_size", accumulation=2)
