"""The benchmark scripts stay runnable, and their shared reporting does what the README relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _common  # noqa: E402

SCRIPTS = sorted(p.name for p in BENCH.glob("bench_*.py"))


def test_every_step_has_a_benchmark():
    assert {
        "bench_pipeline.py",
        "bench_data.py",
        "bench_classifier.py",
        "bench_finetune.py",
        "bench_retrieval.py",
        "bench_gan.py",
        "bench_vqgan_clip.py",
    } <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_parses_its_arguments(script: str):
    """``--help`` imports the script and the artdl modules it uses, so a renamed API shows up here."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_report_prints_a_table_and_records_the_environment(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    rows = [{"variant": "fp32", "images/s": 1234.5678}, {"variant": "bf16", "images/s": 2.34567}]
    path = _common.report("demo", rows, ["variant", "images/s"], notes="synthetic")
    out = capsys.readouterr().out
    assert "| variant | images/s |" in out and "| fp32 | 1,234.6 |" in out and "| bf16 | 2.35 |" in out
    saved = json.loads(path.read_text())
    assert path == tmp_path / "demo.json" and saved["rows"] == rows and saved["notes"] == "synthetic"
    assert {"date", "device", "torch", "python"} <= set(saved["environment"])
    from artdl.report.benchmarks import bench_table

    rendered = bench_table(saved)  # docs/performance.md says what was measured, not only the numbers
    assert rendered.index("synthetic") < rendered.index("| variant |")


def test_cpu_tables_name_the_cpu_and_its_bf16_support(monkeypatch):
    """bf16 kernels differ between CPU families, so a CPU table says which CPU it ran on."""
    from artdl.core import cpu_model
    from artdl.report.benchmarks import bench_table

    assert _common.environment()["cpu"] == cpu_model()
    assert cpu_model().endswith(("AMX", "AVX512-BF16", "AMX/AVX512-BF16", "no native bf16"))
    env = {"device": "CPU only (2 cores)", "cpu": "AMD EPYC, avx512_bf16", "torch": "2.x", "date": "2026-12-02T12:00"}
    assert bench_table({"environment": env, "rows": []}).startswith("_CPU only (2 cores); AMD EPYC, avx512_bf16, torch")
    gpu = {**env, "device": "NVIDIA H200"}  # the host CPU says nothing about a GPU's numbers
    assert bench_table({"environment": gpu, "rows": []}).startswith("_NVIDIA H200, torch")


def test_seed_benchmark_separates_training_seeds_from_split_draws(tmp_path: Path, monkeypatch):
    import argparse

    import bench_seeds

    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    monkeypatch.setattr(bench_seeds, "report", _common.report)
    runs = ((42, 0, 0.56), (42, 1, 0.58), (42, 2, 0.57), (43, 0, 0.50), (44, 0, 0.60))
    rows = [{"split seed": sp, "seed": s, "fine-tune top-1": t, "linear probe top-1": 0.5, "n_test": 1048}
            for sp, s, t in runs]  # fmt: skip
    bench_seeds.write(rows, argparse.Namespace(config="default", overrides=[], name="02_seeds"))
    notes = json.loads((tmp_path / "02_seeds.json").read_text())["notes"]
    assert "Training seeds 0, 1, 2 on split seed 42: fine-tune top-1 0.570 ± 0.010" in notes
    assert "Split seeds 42, 43, 44 at training seed 0: fine-tune top-1 0.553 ± 0.050" in notes
    # a recipe trial keeps its own file, and the validation accuracy a recipe is chosen on
    with_val = [{**row, "val top-1 (kept)": 0.6 + 0.01 * row["seed"]} for row in rows]
    trial = argparse.Namespace(config="default", overrides=["classify.unfreeze_stages=2"], name="02_seeds_stages2")
    bench_seeds.write(with_val, trial)
    notes = json.loads((tmp_path / "02_seeds_stages2.json").read_text())["notes"]
    assert "with `classify.unfreeze_stages=2`" in notes and "val top-1 (kept) 0.610 ± 0.010" in notes
    assert "val top-1" not in json.loads((tmp_path / "02_seeds.json").read_text())["notes"]


def _seed_rows(val: list[float], test: list[float], seconds: float) -> dict:
    """A ``bench_seeds.py`` file of training seeds 0, 1, 2 on split seed 42."""
    return {"rows": [{"split seed": 42, "seed": s, "val top-1 (kept)": v, "fine-tune top-1": t, "seconds": seconds,
                      "config": "default"} for s, (v, t) in enumerate(zip(val, test))]}  # fmt: skip


def test_recipe_trial_is_compared_paired_by_seed_and_claims_no_difference_its_interval_spans(
    tmp_path: Path, monkeypatch
):
    """A recipe chosen on 3 seeds: a mean difference whose interval includes 0 is "no measurable
    difference", never "higher"; one whose interval excludes 0 names the recipe that scored higher."""
    from artdl.report.benchmarks import readme_sections, recipe_comparison

    default = _seed_rows([0.60, 0.59, 0.60], [0.56, 0.58, 0.57], seconds=140.0)
    noisy = _seed_rows([0.58, 0.585, 0.59], [0.557, 0.558, 0.541], seconds=63.0)  # val +0.008, test +0.018
    text = recipe_comparison(default, noisy, "02_seeds_stages2", 0.95)
    assert "Paired by training seed (0, 1, 2 on split seed 42)" in text and "95% t interval (df 2)" in text
    assert "higher" not in text and text.count("no measurable difference at 3 seeds") == 2
    assert "test top-1 +0.018 [-0.0" in text and "took 2.2x as long (mean 140.0 s against 63.0 s)" in text
    steady = _seed_rows([0.57, 0.56, 0.57], [0.52, 0.54, 0.53], seconds=70.0)  # 0.03-0.04 on every seed
    text = recipe_comparison(default, steady, "02_seeds_stages2", 0.95)
    assert text.count("higher with `02_seeds.json`") == 2 and "no measurable" not in text
    worse = recipe_comparison(steady, default, "02_seeds_stages2", 0.95)
    assert worse.count("higher with `02_seeds_stages2.json`") == 2
    assert recipe_comparison(default, {"rows": noisy["rows"][:1]}, "02_seeds_stages2", 0.95) == ""  # one seed: no interval

    monkeypatch.setenv("ARTDL_ROOT", str(tmp_path))  # the docs block: the trial's table, then the comparison
    (tmp_path / "configs").symlink_to(Path(__file__).resolve().parents[1] / "configs")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    for name, record in (("02_seeds", default), ("02_seeds_stages2", noisy)):
        (tmp_path / "benchmarks" / "results" / f"{name}.json").write_text(json.dumps(record))
    sections = readme_sections()
    assert sections["bench-02_seeds_stages2"].endswith(recipe_comparison(default, noisy, "02_seeds_stages2", 0.95))
    assert "Paired" not in sections["bench-02_seeds"]


def test_loading_target_check_compares_with_training_on_the_same_device(tmp_path: Path, monkeypatch, capsys):
    import bench_data

    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    loader_rows = [
        {
            "source": "crawl-sized JPEGs (1600 px)",
            "pipeline": "decode originals",
            "workers": 2,
            "images/s": 5000.0,
        },
        {
            "source": "crawl-sized JPEGs (1600 px)",
            "pipeline": "uint8 tensor cache",
            "workers": 2,
            "images/s": 900.0,
        },
    ]
    training = {
        "environment": _common.environment(),
        "rows": [
            {"backbone": "a", "variant": "fp32", "images/s": 100.0},
            {"backbone": "b", "variant": "bf16", "images/s": 400.0},
            {"backbone": "c", "variant": "bf16+compile", "images/s": float("nan")},
        ],
    }
    (tmp_path / "classifier_training.json").write_text(json.dumps(training))
    bench_data.check_target(loader_rows)
    out = capsys.readouterr().out
    assert "uint8 tensor cache, 2 workers, 900 images/s" in out  # cached rows only: originals don't count
    assert "| a | fp32 | 100.0 | 9 | met |" in out
    assert "| b | bf16 | 400.0 | 2.25 | NOT met |" in out
    assert "| c |" not in out  # a failed measurement is no evidence either way
    training["environment"]["device"] = "some other GPU"
    (tmp_path / "classifier_training.json").write_text(json.dumps(training))
    bench_data.check_target(loader_rows)
    assert "not this device" in capsys.readouterr().out


def test_results_folder_follows_the_environment_so_gpu_tables_stay_apart(tmp_path: Path):
    """``ARTDL_BENCH_RESULTS`` (set by device_check.sh) moves every table; unset, they are the committed ones."""
    code = "import _common; print(_common.RESULTS)"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(BENCH)}
    moved = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**env, "ARTDL_BENCH_RESULTS": str(tmp_path)})  # fmt: skip
    shipped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert moved.stdout.strip() == str(tmp_path) and shipped.stdout.strip() == str(BENCH / "results")


def test_device_check_runs_each_piece_under_a_limit_and_writes_under_out(tmp_path: Path):
    def check(*pieces: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(BENCH / "device_check.sh"), *pieces], capture_output=True, text=True,
                              timeout=60, env={"PATH": "/usr/bin:/bin", "DRY_RUN": "1", "OUT": str(tmp_path)})  # fmt: skip

    every = check()
    assert every.returncode == 0, every.stderr
    lines = every.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines] == ["would run"] * 4
    assert [line.split("(")[1].split(",")[0] for line in lines] == ["env", "speed", "gan", "ddp"]
    assert "bench_classifier.py --backbones resnet50" in lines[1] and "--procs 1" in lines[3]
    assert (tmp_path / "results").is_dir() and (tmp_path / "logs").is_dir()
    assert check("speed").stdout.count("would run") == 1
    wrong = check("smoke")
    assert wrong.returncode == 2 and "unknown piece 'smoke'" in wrong.stderr


def test_timed_steps_times_only_the_steps_after_warm_up():
    """Warm-up calls (compilation, cuDNN autotuning) stay out of the time; a CPU has no peak memory."""
    import math
    import time

    import torch

    calls: list[float] = []

    def step() -> None:
        calls.append(time.perf_counter())
        time.sleep(0.5 if len(calls) <= 2 else 0.01)  # the two warm-up calls are the slow ones

    seconds, peak = _common.timed_steps(step, steps=3, warmup=2, device=torch.device("cpu"))
    assert len(calls) == 5
    assert 0.03 <= seconds < 0.5  # three 10 ms steps, not the second of warm-up
    assert math.isnan(peak)


def test_pipeline_benchmark_calls_a_clone_cold_when_models_holds_only_what_git_ships(tmp_path: Path, monkeypatch):
    """A fresh clone's ``models/`` has its README and ``.gitkeep``: that run is cold, a checkpoint makes it warm."""
    import bench_pipeline

    monkeypatch.setattr(bench_pipeline, "ROOT", tmp_path)
    assert bench_pipeline.start_state(bench_pipeline.trained_files()).startswith("cold")  # no models/ at all
    assert bench_pipeline.commit() == "unknown"  # tmp_path is no git checkout
    checkout = Path(__file__).resolve().parents[1]
    monkeypatch.setattr(bench_pipeline, "ROOT", checkout)
    if (checkout / ".git").exists():
        assert len(bench_pipeline.commit()) >= 7  # this checkout's short hash
    monkeypatch.setattr(bench_pipeline, "ROOT", tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "README.md").write_text("what goes here")
    (tmp_path / "models" / ".gitkeep").write_text("")
    assert bench_pipeline.start_state(bench_pipeline.trained_files()).startswith("cold")
    (tmp_path / "models" / "gan").mkdir()
    (tmp_path / "models" / "gan" / "checkpoint.pt").write_bytes(b"0")
    assert bench_pipeline.start_state(bench_pipeline.trained_files()).startswith("warm: models/ held 1 files")


def test_readme_line_on_make_run_time_comes_from_every_pipeline_record():
    from artdl.report.benchmarks import PIPELINE_TOTAL, pipeline_time

    def record(cpu: str | None, seconds: list[float]) -> dict:
        env = {"device": "CPU only (2 cores)", "date": "2026-12-03T09:39:48+00:00", **({"cpu": cpu} if cpu else {})}
        names = ["00_data.ipynb", "02_classify.ipynb", PIPELINE_TOTAL]
        return {"environment": env, "rows": [{"notebook": n, "seconds": s} for n, s in zip(names, seconds)]}

    line = pipeline_time({"pipeline": record(None, [14.0, 273.0, 757.0]),
                          "pipeline_no_bf16": record("AMD EPYC, no native bf16", [18.6, 581.4, 1163.7])})  # fmt: skip
    first, second = line.splitlines()[2:]
    assert "CPU model not recorded: **13 min**, of which 02_classify 273 s" in first
    assert "AMD EPYC, no native bf16: **19 min**, of which 02_classify 581 s" in second
    assert "pipeline_no_bf16.json" in second
    assert pipeline_time({}).startswith("No `benchmarks/bench_pipeline.py` run")
