"""``python -m artdl predict`` and ``python -m artdl demo`` (issue #26) on a tiny real-format project.

A random-weight ``scratch`` Lite0 at 64 px is saved with ``save_classifier`` (the format of
``models/classifier/best.pt``); six paintings (the shared WikiArt ones when present, else generated
images) are embedded with 04's own ``cnn`` embedder and saved with ``save_embeddings``; a five-painter
PainterPalette file gives the influence graph. Everything lives in a temporary project root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from artdl.predict import PredictOptions, Predictor, demo_answer, predict_main, read_image

from .conftest import REPO_ROOT, SHARED_DATASETS

CLASSES = ["Baroque", "Cubism", "Impressionism"]
SIDE = 64
ARTISTS = ["Berthe Morisot", "Claude Monet"] * 3  # true of the shared paintings used when present
PALETTE = pd.DataFrame(
    {
        "artist": ["Paul Cezanne", "Camille Pissarro", "Berthe Morisot", "Edouard Manet", "Claude Monet", "Jan Steen"],
        "birth_year": ["1839.0", "1830.0", "1841.0", "1832.0", "1840.0", "1626.0"],
        "movement": [""] * 6, "Nationality": [""] * 6,
        "Influencedby": ["Camille Pissarro,", "", "", "", "", ""],
        "Influencedon": ["", "", "", "Berthe Morisot,", "", ""],
        "Teachers": [""] * 6, "Pupils": [""] * 6,
        "FriendsandCoworkers": ["", "Claude Monet,", "", "", "", ""],
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A project root with a checkpoint, a saved 04 collection and a graph; yields paths and overrides."""
    from artdl.core import load_config
    from artdl.models import build_classifier, save_classifier
    from artdl.retrieve import collection_images, create_embedder, save_embeddings

    tmp = tmp_path_factory.mktemp("predict")
    root = tmp / "project"
    root.mkdir()
    for name in ("configs", "src"):
        (root / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("ARTDL_ROOT", str(root))
    torch.manual_seed(0)
    model = build_classifier("scratch", len(CLASSES), pretrained=False)
    with torch.no_grad():
        model.head.bias[1] += 1.0  # one clear top style, so the page and the terminal can be compared
    checkpoint = save_classifier(model.eval(), root / "models/classifier/best.pt", backbone="scratch",
                                 classes=CLASSES, image_size=SIDE, dataset="tiny")  # fmt: skip
    paintings = _collection_files(tmp / "collection")
    table = pd.DataFrame({"path": [str(p) for p in paintings], "title": [p.stem for p in paintings],
                          "artist": ARTISTS, "artist_known": True, "label": "Impressionism"})  # fmt: skip
    cnn = create_embedder("cnn", load_config("default"), "cpu", progress=False, image_size=SIDE, checkpoint=checkpoint)
    features = cnn.embed_images(collection_images(table, SIDE, cache=False))
    save_embeddings("cnn", features, table)
    (tmp / "palette").mkdir()
    PALETTE.to_csv(tmp / "palette" / "PainterPalette.csv", index=False)
    overrides = [f"retrieve.cnn.checkpoint={checkpoint}", f"retrieve.cnn.image_size={SIDE}",
                 f"datasets.painter_palette.root={tmp / 'palette'}", "device=cpu"]  # fmt: skip
    inputs = _bad_and_odd_inputs(tmp / "inputs")
    yield {"root": root, "tmp": tmp, "checkpoint": checkpoint, "table": table, "features": features,
           "overrides": overrides, "cfg": load_config("default", overrides), **inputs}  # fmt: skip
    mp.undo()


def _shared_paintings() -> tuple[list[Path], list[Path]]:
    """(Morisot's, Monet's) shared WikiArt paintings, sorted; empty lists without the shared sets."""
    root = SHARED_DATASETS / "wikiart_impressionists"
    return sorted((root / "berthe-morisot").glob("*.jpg")), sorted((root / "claude-monet").glob("*.jpg"))


def _collection_files(folder: Path) -> list[Path]:
    """Three Morisots and three Monets when the shared sets are here (true captions in the README
    screenshots), else six generated images under the same names."""
    morisot, monet = _shared_paintings()
    if len(morisot) >= 4 and len(monet) >= 3:
        return [p for pair in zip(morisot[:3], monet[:3]) for p in pair]
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    files = []
    for i in range(6):
        path = folder / f"painting_{i}.jpg"
        Image.fromarray(rng.integers(0, 255, (90, 70 + 10 * i, 3), dtype=np.uint8)).save(path)
        files.append(path)
    return files


def _bad_and_odd_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    photo = Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    files = {"good": folder / "good.jpg", "text": folder / "notes.jpg", "truncated": folder / "truncated.jpg",
             "cmyk": folder / "cmyk.jpg", "png16": folder / "scan16.png", "rgba": folder / "cutout.png",
             "grey": folder / "grey.jpg", "huge": folder / "huge_scan.jpg"}  # fmt: skip
    photo.save(files["good"], quality=95)
    files["text"].write_text("this is not a painting\n")
    files["truncated"].write_bytes(files["good"].read_bytes()[:600])
    Image.new("CMYK", (80, 60), (0, 255, 255, 0)).save(files["cmyk"])  # pure red in ink
    ramp = np.tile(np.linspace(0, 65535, 100).astype(np.uint16), (40, 1))
    Image.fromarray(ramp).save(files["png16"])
    rgba = np.zeros((50, 60, 4), np.uint8)
    rgba[:, 30:] = (0, 0, 255, 255)  # right half opaque blue, left half transparent
    Image.fromarray(rgba, "RGBA").save(files["rgba"])
    photo.convert("L").save(files["grey"])
    Image.new("L", (20_000, 9_000), 90).save(files["huge"], quality=40)  # 180 Mpx: over Pillow's bomb limit
    return files


def _run(
    capsys: pytest.CaptureFixture, project: dict, *args: str, out: Path | None = None
) -> tuple[int, str, str]:
    code = predict_main([*args, "--out", str(out or project["tmp"] / "out"), *project["overrides"]])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# --- reading odd files ---------------------------------------------------------------------------
def test_odd_modes_are_converted_not_refused(project: dict, tmp_path: Path):
    red = np.asarray(read_image(project["cmyk"]))
    assert red.shape[2] == 3 and red[..., 0].mean() > 200 and red[..., 1].mean() < 60
    ramp = np.asarray(read_image(project["png16"]))[0, :, 0].astype(int)
    assert ramp[0] <= 1 and ramp[-1] >= 254 and abs(ramp[50] - 129) <= 3  # rescaled, not clipped to white
    cutout = np.asarray(read_image(project["rgba"]))
    assert (cutout[:, :30] == 255).all() and (cutout[:, 40:, 2] > 240).all()  # transparency on white
    grey = np.asarray(read_image(project["grey"]))
    assert grey.shape[2] == 3 and (grey[..., 0] == grey[..., 2]).all()
    # float and 32-bit greyscale (TIFF scans, scientific exports): each ramp black to white, not one level
    ramps = {"float01": np.linspace(0.0, 1.0, 101, dtype=np.float32),  # a normalised scan: x255
             "float_wide": np.linspace(-5.0, 300.0, 101, dtype=np.float32),  # its own range
             "int32": np.linspace(0, 2**31 - 1, 101).astype(np.int32),  # counts: its own range
             "int32_16bit": np.linspace(0, 65535, 101).astype(np.int32)}  # 16-bit data kept on that scale
    for name, values in ramps.items():
        path = tmp_path / f"{name}.tif"
        Image.fromarray(np.tile(values, (8, 1))).save(path)
        ramp = np.asarray(read_image(path))[0, :, 0].astype(int)
        assert ramp[0] <= 1 and ramp[-1] >= 254 and abs(ramp[50] - 128) <= 2, (name, ramp[[0, 50, -1]])


def test_huge_scan_is_reduced_while_decoding(project: dict):
    with pytest.raises(Image.DecompressionBombError):  # what a plain Image.open does with it
        Image.open(project["huge"])
    image = read_image(project["huge"], max_side=2048)
    assert image.mode == "RGB" and max(image.size) <= 2048 and image.size[0] / image.size[1] == pytest.approx(20 / 9, rel=0.01)


@pytest.mark.parametrize("name", ["cmyk", "png16", "rgba", "grey", "huge"])
def test_converted_inputs_are_predicted(project: dict, capsys: pytest.CaptureFixture, tmp_path: Path, name: str):
    code, out, err = _run(capsys, project, str(project[name]), "--neighbours", "0", out=tmp_path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == str(project[name]) and lines[2].split()[0] in CLASSES
    assert [p.name for p in tmp_path.iterdir()] == [f"{project[name].stem}_gradcam.jpg"]  # this run's own


@pytest.mark.parametrize("name, reason", [("text", "not an image"), ("truncated", "truncated or corrupt")])
def test_unreadable_file_is_one_line_and_fails(project: dict, capsys: pytest.CaptureFixture, name: str, reason: str):
    code, out, err = _run(capsys, project, str(project[name]))
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("error:") and reason in err.strip().splitlines()[-1]


def test_large_non_jpeg_is_refused_by_the_size_guard(project: dict, capsys: pytest.CaptureFixture):
    code, _, err = _run(capsys, project, str(project["png16"]), "predict.max_pixels=1000")
    assert code == 2 and "too large to decode safely" in err


def test_empty_folder_and_missing_checkpoint(project: dict, capsys: pytest.CaptureFixture):
    empty = project["tmp"] / "empty"
    empty.mkdir(exist_ok=True)
    code, _, err = _run(capsys, project, str(empty))
    assert code == 2 and err.count("\n") == 1 and "empty folder" in err
    code, _, err = _run(capsys, project, str(project["good"]), "--checkpoint", str(project["tmp"] / "none.pt"))
    assert code == 2 and err.count("\n") == 1
    assert "python -m artdl run --only 02" in err and "5 minutes" in err


def test_missing_checkpoint_in_a_real_process_has_no_traceback(project: dict):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "ARTDL_ROOT": str(project["root"])}
    proc = subprocess.run([sys.executable, "-m", "artdl", "predict", str(project["good"]), "--checkpoint",
                           "models/none.pt"], capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: No trained classifier") and "--only 02" in proc.stderr


def test_folder_with_bad_files_predicts_the_good_ones(project: dict, capsys: pytest.CaptureFixture):
    folder = project["good"].parent
    code, out, err = _run(capsys, project, str(folder), "--neighbours", "0", "--method", "cam")
    assert code == 1
    for name in ("good.jpg", "cmyk.jpg", "scan16.png", "cutout.png", "grey.jpg", "huge_scan.jpg"):
        assert name in out
    tail = err.strip().splitlines()[-3:]
    assert tail[0] == "2 of 8 input(s) could not be predicted:"
    assert {line.split(":")[0].strip() for line in tail[1:]} == {str(project["text"]), str(project["truncated"])}
    assert (project["tmp"] / "out" / "good_cam.jpg").is_file()


def test_empty_folder_and_a_missing_file_named_like_an_override_are_problems(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path
):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _run(capsys, project, str(project["good"]), str(empty), "my=painting.jpg",
                          "--neighbours", "0", out=tmp_path / "out")  # fmt: skip
    assert code == 1 and out.startswith(str(project["good"]))  # the good one is still predicted
    tail = err.strip().splitlines()[-3:]
    assert tail[0] == "2 of 3 input(s) could not be predicted:"
    assert tail[1].strip().startswith(f"{empty}: an empty folder") and "Unknown config key" not in err
    assert tail[2].strip() == "my=painting.jpg: no such file or folder"


def test_a_second_run_does_not_predict_the_first_runs_overlays(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "good.jpg").write_bytes(project["good"].read_bytes())
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # `python -m artdl predict .` twice: the overlays go to ./predictions
        code = predict_main([".", "--neighbours", "0", *project["overrides"]])
        out, err = capsys.readouterr()
        assert code == 0 and out.count(" overlay: ") == 1, out + err
    assert sorted(p.name for p in (tmp_path / "predictions").iterdir()) == ["good_gradcam.jpg"]


def test_relative_checkpoint_is_taken_from_the_current_folder(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "best.pt").write_bytes(Path(project["checkpoint"]).read_bytes())
    monkeypatch.chdir(tmp_path)  # not the project root ($ARTDL_ROOT), where no mine/best.pt is
    code, out, err = _run(capsys, project, str(project["good"]), "--checkpoint", "mine/best.pt", "--json",
                          "--neighbours", "0", out=tmp_path / "out")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["checkpoint"] == str(tmp_path / "mine" / "best.pt")


@pytest.mark.parametrize("flag, value", [("--top", "0"), ("--top", "-1"), ("--neighbours", "-1"),
                                         ("--rerank", "-0.5"), ("--rerank", "nan")])  # fmt: skip
def test_bad_counts_and_weights_are_refused(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path, flag: str, value: str
):
    with pytest.raises(SystemExit) as exit_:
        predict_main([str(project["good"]), flag, value, "--out", str(tmp_path), *project["overrides"]])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2 and f"argument {flag}: " in err and repr(value) in err and "Traceback" not in err


# --- what is predicted ---------------------------------------------------------------------------
def test_json_matches_the_checkpoints_own_scores(project: dict, capsys: pytest.CaptureFixture):
    from torchvision import transforms as T

    from artdl.models import load_classifier

    code, out, _ = _run(capsys, project, str(project["good"]), "--json", "--top", "3", "--method", "gradcam++")
    record = json.loads(out)
    assert code == 0 and record["classes"] == CLASSES and record["problems"] == []
    model, meta = load_classifier(project["checkpoint"])
    tf = T.Compose([T.Resize(SIDE, antialias=True), T.CenterCrop(SIDE), T.ToTensor(), T.Normalize(meta["mean"], meta["std"])])
    with torch.no_grad():
        probs = torch.softmax(model(tf(Image.open(project["good"]).convert("RGB"))[None]), 1)[0].numpy()
    got = {t["style"]: t["probability"] for t in record["predictions"][0]["top"]}
    assert [t["style"] for t in record["predictions"][0]["top"]] == [CLASSES[i] for i in np.argsort(-probs)]
    assert got == pytest.approx({c: float(p) for c, p in zip(CLASSES, probs)}, abs=1e-5)
    cam = Image.open(record["predictions"][0]["cam"])
    assert cam.size == (SIDE, SIDE) and record["predictions"][0]["method"] == "gradcam++"


def test_query_embedding_is_the_saved_one(project: dict):
    predictor = Predictor(project["cfg"], PredictOptions.from_config(project["cfg"]))
    assert predictor.collection is not None and len(predictor.collection) == 6
    for row, path in enumerate(project["table"]["path"]):
        query = predictor.collection.embed([read_image(path)])[0]
        saved = project["features"][row]
        assert float(query @ saved / np.linalg.norm(query) / np.linalg.norm(saved)) > 0.999
        plain, _, _ = predictor.nearest(read_image(path), k=3)
        assert plain[0].row == row and plain[0].score == pytest.approx(1.0, abs=1e-3)


def test_rerank_moves_graph_linked_painters_in_with_their_path(project: dict, capsys: pytest.CaptureFixture):
    query = project["table"]["path"][1]  # a Monet, asked about as if by Manet, who influenced Morisot
    code, out, _ = _run(capsys, project, query, "--json", "--neighbours", "3", "--rerank", "1.0",
                        "--artist", "Edouard Manet")  # fmt: skip
    pred = json.loads(out)["predictions"][0]
    assert code == 0 and pred["rerank_weight"] == 1.0 and pred["query_artist"] == "Edouard Manet"
    assert pred["neighbours"][0]["row"] == 1  # cosine: the painting itself first
    assert [n["artist"] for n in pred["reranked"]] == ["Berthe Morisot"] * 3  # distance 1: bonus 1 each
    moved = [n for n in pred["reranked"] if n["moved"]]
    assert moved and all(n["graph_path"] == "Manet → Morisot" for n in moved)
    assert {n["row"] for n in moved} == {n["row"] for n in pred["reranked"]} - {n["row"] for n in pred["neighbours"]}


def test_terminal_table_lists_neighbours_and_the_default_rerank(project: dict, capsys: pytest.CaptureFixture):
    code, out, _ = _run(capsys, project, str(project["good"]), "--neighbours", "3", "--rerank")
    assert code == 0 and "nearest paintings (cnn, cosine):" in out
    weight = project["cfg"].retrieve.influence.graph_weight  # 04 has not run here: the config's weight
    assert f"influence re-ranked (alpha={weight:g}, query artist: " in out


def test_default_rerank_weight_is_the_one_04_chose_under_the_same_config(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path
):
    """`--config mine.yaml --rerank` uses results/04_retrieve.mine.json's choice, not the default run's."""
    record = json.loads((REPO_ROOT / "results" / "04_retrieve.json").read_text())
    record["influence"]["sweep"]["chosen"] = 0.125
    results = project["root"] / "results"
    results.mkdir(exist_ok=True)
    (results / "04_retrieve.mine.json").write_text(json.dumps(record))
    mine = tmp_path / "mine.yaml"
    mine.write_text("seed: 0\n")
    try:
        code, out, _ = _run(capsys, project, str(project["good"]), "--json", "--neighbours", "2", "--rerank",
                            "--config", str(mine))  # fmt: skip
        assert code == 0 and json.loads(out)["predictions"][0]["rerank_weight"] == 0.125
        code, out, _ = _run(capsys, project, str(project["good"]), "--json", "--neighbours", "2", "--rerank")
        weight = json.loads(out)["predictions"][0]["rerank_weight"]
        assert code == 0 and weight == project["cfg"].retrieve.influence.graph_weight != 0.125
    finally:
        (results / "04_retrieve.mine.json").unlink()


def test_rerank_does_not_take_a_following_path_or_override_for_its_weight(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path
):
    *overrides, device = project["overrides"]  # device=cpu last
    code = predict_main(["--rerank", str(project["good"]), "--json", "--neighbours", "2", "--out", str(tmp_path),
                         *overrides, "--rerank", device])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    pred = json.loads(out)["predictions"][0]
    assert pred["path"] == str(project["good"]) and pred["reranked"] is not None
    assert pred["rerank_weight"] == project["cfg"].retrieve.influence.graph_weight  # the default weight


def test_rerank_without_the_graph_is_one_error_before_any_overlay(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path
):
    code = predict_main([str(project["good"]), "--rerank", "--out", str(tmp_path / "out"), *project["overrides"],
                         f"datasets.painter_palette.root={tmp_path / 'no_palette'}"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: The influence graph is unavailable")
    assert not (tmp_path / "out").exists()


def test_rerank_with_no_known_artist_near_an_image_is_that_images_problem(
    project: dict, capsys: pytest.CaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from artdl.predict import engine

    original = engine.open_collection

    def anonymous(*args, **kwargs):  # a collection whose painters are all unknown
        collection = original(*args, **kwargs)
        collection.known = np.zeros(len(collection), dtype=bool)
        return collection

    monkeypatch.setattr(engine, "open_collection", anonymous)
    code, out, err = _run(capsys, project, str(project["good"]), str(project["grey"]), "--rerank", "0.2",
                          out=tmp_path)  # fmt: skip
    assert code == 2 and out == ""
    lines = err.strip().splitlines()[-2:]
    assert all(line.startswith("error: ") and "name one with --artist" in line for line in lines), err
    assert list(tmp_path.iterdir()) == []  # no overlay of an image that was not predicted


def test_demo_answer_is_predicts_answer(project: dict):
    predictor = Predictor(project["cfg"], PredictOptions.from_config(project["cfg"]))
    image = read_image(project["good"])
    answer = demo_answer(predictor, image, "cam", 0.0)
    assert max(answer["styles"], key=answer["styles"].get) == predictor.predict(project["good"], image).styles[0][0]
    assert answer["cam"].shape == (SIDE, SIDE, 3) and len(answer["gallery"]) == 6
    assert [n.row for n in answer["neighbours"]] == [n.row for n in predictor.nearest(image)[0]]
    reranked = demo_answer(predictor, image, "gradcam", 0.4)  # the slider: the nearest painting's artist
    assert reranked["notes"].startswith("Re-ranked with alpha=0.4 for query artist **")
    assert [n.row for n in reranked["neighbours"]] == [n.row for n in predictor.nearest(image, weight=0.4)[1]]


def test_demo_slider_stops_at_the_largest_weight_04_swept():
    """The slider's top comes from ``retrieve.influence.weights``, so it follows a changed sweep."""
    from artdl.core import load_config
    from artdl.predict.demo import _max_weight

    assert _max_weight(load_config()) == max(load_config().retrieve.influence.weights)
    assert _max_weight(load_config(overrides=["retrieve.influence.weights=[0,0.05,0.8]"])) == 0.8


def test_demo_picks_a_collection_painting_or_asks_for_one(project: dict):
    from artdl.predict import PredictError
    from artdl.predict.demo import _chosen_image

    predictor = Predictor(project["cfg"], PredictOptions.from_config(project["cfg"]))
    picked = _chosen_image(predictor, None, 4)
    assert picked.size == read_image(project["table"]["path"][4]).size
    with pytest.raises(PredictError, match="Upload a painting or pick one"):
        _chosen_image(predictor, None, None)


def test_demo_with_a_missing_config_is_one_error(project: dict, capsys: pytest.CaptureFixture):
    from artdl.predict import demo_main

    assert demo_main(["--config", "nosuch"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: Config 'nosuch' not found")


# --- the demo page in headless Chromium ------------------------------------------------------------
SCREENSHOTS = REPO_ROOT / "images" / "predict"


def _showcase(project: dict) -> Path:
    """A painting outside the collection (a fourth shared Morisot, else the generated photo), copied
    into the temporary folder so that ``predict`` prints short relative paths."""
    morisot, _ = _shared_paintings()
    source = morisot[3] if len(morisot) >= 4 else project["good"]
    target = project["tmp"] / "showcase" / source.name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def _save_small(png: bytes, path: Path, width: int = 900) -> None:
    import io

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)  # a small file for the README


@pytest.mark.browser
@pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")  # inside gradio.queueing
def test_demo_page_shows_the_style_predict_prints(project: dict, capsys: pytest.CaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from artdl.archive.explorer import headless_chromium, wait_for
    from artdl.predict import HOST

    painting = _showcase(project)
    monkeypatch.chdir(painting.parent)
    code = predict_main([painting.name, "--neighbours", "5", *project["overrides"]])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err
    top = out.splitlines()[2].split()[0]
    # `python -m artdl demo` itself, in its own process (as a user starts it; it also keeps Gradio
    # apart from what other tests imported into this one, e.g. Twisted's zope.interface declarations)
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "artdl", "demo", "--port", str(port), *project["overrides"]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},  # this checkout, whatever is installed
    )  # fmt: skip
    url = f"http://{HOST}:{port}/"
    try:
        for _ in range(240):  # the models load first: up to two minutes on a busy 2-core machine
            if server.poll() is not None:
                pytest.fail(f"artdl demo exited with {server.returncode}: {server.stdout.read()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("artdl demo did not answer on its port within two minutes")
        try:
            browser = headless_chromium(1100, 1250)
            driver = browser.__enter__()
        except Exception as err:  # noqa: BLE001 - any failure to start means: no browser here
            pytest.skip(f"headless Chromium could not start ({type(err).__name__}: {err})")
        try:
            driver.get(url)
            wait_for(driver, "return document.querySelector('#upload input[type=file]')", timeout=60)
            driver.find_element("css selector", "#upload input[type=file]").send_keys(str(painting))
            shown = wait_for(driver, "return document.querySelector("
                             "'#styles [data-testid=\"label-output-value\"]')?.textContent.trim()", timeout=120)  # fmt: skip
            assert shown == top
            loaded = "return [...document.querySelectorAll('#nearest img, #cam img')].filter(i => i.complete && i.naturalWidth > 0).length"
            wait_for(driver, f"{loaded} >= 7", timeout=90)  # the overlay and the six nearest paintings
            hosts = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            assert all(h.startswith((url, "data:", "blob:")) for h in hosts), hosts
            _save_small(driver.get_screenshot_as_png(), SCREENSHOTS / "demo.png")
            _terminal_screenshot(driver, project, f"$ python -m artdl predict {painting.name} --neighbours 5\n{out}")
        finally:
            browser.__exit__(None, None, None)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _terminal_screenshot(driver, project: dict, text: str) -> None:
    """``predict``'s own output, rendered as a terminal for the README."""
    import html

    page = project["tmp"] / "terminal.html"
    page.write_text(
        "<html><body style='margin:0;background:#1e1e1e'><pre id='t' style='margin:0;padding:14px;color:#e6e6e6;"
        f"font:13px monospace;display:inline-block'>{html.escape(text.strip())}</pre></body></html>"
    )
    driver.get(page.as_uri())
    element = driver.find_element("id", "t")
    _save_small(element.screenshot_as_png, SCREENSHOTS / "predict.png", width=1000)
