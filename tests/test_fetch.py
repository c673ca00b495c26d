"""artdl.data.fetch against a local imitation of raw.githubusercontent.com (127.0.0.1 only, no internet).

The server serves JPEGs made at test time with Pillow (so no test needs ../shared/datasets: a fresh
clone is the case this code exists for) in the raw-URL layout ``/{repo}/{commit}/{path}`` and can
answer a path with a planned sequence of failures (503, 429,
a connection dropped mid-body, a stall past the timeout) before the file. Every request is
counted, so "a re-run downloads nothing" is checked on the server side.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artdl import data
from artdl.core import PART_SUFFIX, load_config
from artdl.data import fetch
from artdl.report.data import data_table_markdown

from .conftest import REPO_ROOT

REPO = "someone/paintings"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
MANIFEST_COLUMNS = ["file", "source_repo", "source_commit", "source_path", "sha256", "bytes"]


# --------------------------------------------------------------------------------------------
# The local raw-file server
# --------------------------------------------------------------------------------------------
@dataclass
class RawServer:
    """Files by URL path, a failure plan per path, and a hit counter."""

    files: dict[str, bytes] = field(default_factory=dict)
    plan: dict[str, list[str]] = field(default_factory=dict)  # "503", "429", "drop", "stall"
    hits: Counter[str] = field(default_factory=Counter)
    port: int = 0
    stall_s: float = 1.0

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{repo}}/{{commit}}/{{path}}"

    def add(self, source_path: str, data: bytes) -> None:
        self.files[f"/{REPO}/{COMMIT}/{source_path}"] = data

    def url_path(self, source_path: str) -> str:
        return f"/{REPO}/{COMMIT}/{source_path}"


@pytest.fixture
def server() -> Iterator[RawServer]:
    state = RawServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urllib.parse.unquote(self.path)
            with lock:
                state.hits[path] += 1
                todo = state.plan.get(path)
                action = todo.pop(0) if todo else ""
            body = state.files.get(path)
            if action in ("503", "429"):
                self.send_response(int(action))
                if action == "429":
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if action == "stall":
                time.sleep(state.stall_s)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if action == "drop":  # half the body, then the connection goes away
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------------------------
# A throw-away project with a small manifest
# --------------------------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root with links to configs/ and src/, its own data/, sources/ and an empty mirror."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("configs", "src"):
        (root / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    for name in ("data", "models", "images", "sources", "empty_mirror"):
        (root / name).mkdir()
    monkeypatch.setenv("ARTDL_ROOT", str(root))
    return root


LABELS = ("claude-monet", "berthe-morisot")


def _jpeg(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A painting-like JPEG: coarse colour patches with noise, different for every seed (also to a
    difference hash, so two seeds are never look-alikes that the split would keep together)."""
    rng = np.random.default_rng(seed)
    w, h = size
    patches = rng.integers(0, 256, (9, 9, 3)).astype(float)
    rows = np.minimum(np.arange(h) * 9 // h, 8)
    cols = np.minimum(np.arange(w) * 9 // w, 8)
    pixels = np.clip(patches[rows][:, cols] + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def _paintings(folder: Path, per_label: int, size: tuple[int, int] = (160, 120)) -> list[Path]:
    """``per_label`` synthetic JPEGs in each of two label folders (the impressionists' layout)."""
    return [
        _jpeg(folder / label / f"{label}-{i:03d}.jpg", size, seed=100 * k + i)
        for k, label in enumerate(LABELS)
        for i in range(per_label)
    ]


def _write_manifest(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _serve_set(
    server: RawServer, project: Path, images: list[Path], name: str = "wikiart_impressionists"
) -> list[dict[str, object]]:
    """Serve ``images`` (label = parent folder) and write their manifest; source paths have spaces."""
    rows: list[dict[str, object]] = []
    for p in images:
        data = p.read_bytes()
        source_path = f"data/original images/{p.name}"  # a space: the URL must be quoted
        server.add(source_path, data)
        rows.append(
            {
                "file": f"{p.parent.name}/{p.name}",
                "source_repo": REPO,
                "source_commit": COMMIT,
                "source_path": source_path,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        )
    _write_manifest(project / "sources" / f"{name}.csv", rows)
    return rows


def _cfg(server: RawServer, project: Path, *extra: str):
    return load_config(
        "default",
        [
            f"paths.shared_datasets={project / 'empty_mirror'}",
            f"data.fetch.manifests={project / 'sources'}",
            f"data.fetch.url_template={server.template}",
            "data.fetch.workers=2",
            "data.fetch.backoff=0.01",
            "data.fetch.timeout=5",
            *extra,
        ],
    )


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(PART_SUFFIX)]


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
def test_clean_fetch_then_rerun_downloads_nothing(server: RawServer, project: Path, tmp_path: Path):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 3))
    (project / "sources" / "wikiart_impressionists.notes.txt").write_text("companion file\n")
    cfg = _cfg(server, project)
    dest = project / "data" / "raw" / "wikiart_impressionists"
    assert data.dataset_location(cfg, "wikiart_impressionists") == ("missing", dest)

    report = fetch.fetch_dataset(cfg, "wikiart_impressionists", progress=False)
    assert report.ok and report.fetched == len(rows) == 6 and report.present == 0
    assert report.dest == dest
    for row in rows:  # within max_side: stored byte for byte
        stored = (dest / str(row["file"])).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == row["sha256"]
    assert (dest / "notes.txt").read_text() == "companion file\n"
    assert not _parts(dest)
    assert sum(server.hits.values()) == 6
    assert data.dataset_location(cfg, "wikiart_impressionists") == ("raw", dest)
    assert data.dataset_root(cfg, "wikiart_impressionists") == dest

    again = fetch.fetch_dataset(cfg, "wikiart_impressionists", progress=False)
    assert again.ok and again.fetched == 0 and again.present == 6
    assert sum(server.hits.values()) == 6  # the server saw no new request


def test_checksum_and_size_mismatch_write_nothing(server: RawServer, project: Path, tmp_path: Path):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 2))
    rows[0]["sha256"] = "0" * 64
    rows[1]["bytes"] = int(str(rows[1]["bytes"])) + 1
    _write_manifest(project / "sources" / "wikiart_impressionists.csv", rows)
    report = fetch.fetch_dataset(_cfg(server, project), "wikiart_impressionists", progress=False)
    reasons = dict(report.failures)
    assert report.fetched == 2 and len(reasons) == 2
    dest = report.dest
    for row, word in ((rows[0], "sha256 mismatch"), (rows[1], "size mismatch")):
        url = fetch.source_url(
            server.template,
            fetch.read_manifest(project / "sources" / "wikiart_impressionists.csv")[rows.index(row)],
        )
        assert word in reasons[url]
        assert not (dest / str(row["file"])).exists()
    assert not _parts(dest)


def test_404_is_reported_with_its_url_and_a_nonzero_exit(
    server: RawServer, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 1))
    rows.append(
        {**rows[0], "file": "claude-monet/ghost.jpg", "source_path": "data/original images/ghost.jpg"}
    )
    _write_manifest(project / "sources" / "wikiart_impressionists.csv", rows)
    ghost_url = f"http://127.0.0.1:{server.port}/{REPO}/{COMMIT}/data/original%20images/ghost.jpg"
    overrides = [
        f"paths.shared_datasets={project / 'empty_mirror'}",
        f"data.fetch.manifests={project / 'sources'}",
        f"data.fetch.url_template={server.template}",
        "data.fetch.backoff=0.01",
    ]
    from artdl.cli.main import main

    assert main(["data", "fetch", "wikiart_impressionists", *overrides]) == 1
    err = capsys.readouterr().err
    assert ghost_url in err and "HTTP 404" in err
    assert (
        server.hits[urllib.parse.unquote(urllib.parse.urlsplit(ghost_url).path)] == 1
    )  # a 404 is not retried
    dest = project / "data" / "raw" / "wikiart_impressionists"
    assert (dest / str(rows[0]["file"])).is_file() and (dest / str(rows[1]["file"])).is_file()
    assert not (dest / "claude-monet" / "ghost.jpg").exists()


@pytest.mark.parametrize("plan", [["503", "503"], ["429"], ["drop"], ["stall"]])
def test_transient_failures_are_retried(server: RawServer, project: Path, tmp_path: Path, plan: list[str]):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 1))
    first = server.url_path(str(rows[0]["source_path"]))
    server.plan[first] = list(plan)
    server.stall_s = 1.0
    cfg = _cfg(server, project, "data.fetch.timeout=0.3", "data.fetch.retries=3")
    report = fetch.fetch_dataset(cfg, "wikiart_impressionists", progress=False)
    assert report.ok and report.fetched == 2
    assert server.hits[first] == len(plan) + 1
    stored = (report.dest / str(rows[0]["file"])).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == rows[0]["sha256"]
    assert not _parts(report.dest)


def test_retries_run_out_and_leave_nothing(server: RawServer, project: Path, tmp_path: Path):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 1))
    first = server.url_path(str(rows[0]["source_path"]))
    server.plan[first] = ["drop"] * 5
    report = fetch.fetch_dataset(
        _cfg(server, project, "data.fetch.retries=2"), "wikiart_impressionists", progress=False
    )
    assert report.fetched == 1 and len(report.failures) == 1
    assert "after 3 attempts" in report.failures[0][1] and server.hits[first] == 3
    assert not (report.dest / str(rows[0]["file"])).exists() and not _parts(report.dest)


def test_fetch_killed_midway_resumes_without_partial_files(
    server: RawServer, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 4))
    cfg = _cfg(server, project)
    real_replace = os.replace
    calls = {"n": 0}

    def interrupted_replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] >= 4:  # Ctrl-C while the 4th file is between temp file and rename
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch_dataset(cfg, "wikiart_impressionists", progress=False)
    monkeypatch.setattr(os, "replace", real_replace)

    dest = project / "data" / "raw" / "wikiart_impressionists"
    done = [r for r in rows if (dest / str(r["file"])).is_file()]
    assert len(done) == 3 and not _parts(dest)
    for r in done:  # what is there is whole
        assert hashlib.sha256((dest / str(r["file"])).read_bytes()).hexdigest() == r["sha256"]
    # A process killed outright (SIGKILL) would leave a temp file: the next fetch removes it.
    stale = dest / "claude-monet" / f".x.jpg.abc123{PART_SUFFIX}"
    stale.write_bytes(b"half a jpeg")
    before = sum(server.hits.values())

    report = fetch.fetch_dataset(cfg, "wikiart_impressionists", progress=False)
    assert report.ok and report.present == 3 and report.fetched == len(rows) - 3
    assert sum(server.hits.values()) - before == len(rows) - 3  # only the missing files
    assert all((dest / str(r["file"])).is_file() for r in rows)
    assert not _parts(dest)


def test_resize_contract(server: RawServer, project: Path, tmp_path: Path):
    small = _jpeg(tmp_path / "small.jpg", (224, 168), seed=7).read_bytes()  # wikiart_styles7's 224 px
    with Image.open(io.BytesIO(small)) as im:
        assert max(im.size) == 224
    # A large "original": a painting upscaled to 640x480 (4:3).
    with Image.open(_jpeg(tmp_path / "real.jpg", (160, 120), seed=8)) as im:
        big_im = im.convert("RGB").resize((640, 480))
    buf = io.BytesIO()
    big_im.save(buf, "JPEG", quality=95)
    big = buf.getvalue()
    grey = io.BytesIO()
    big_im.convert("L").save(grey, "JPEG")

    # The function: long side <= max_side, aspect kept, small files and non-images untouched.
    out = fetch.shrink_image(big, "a.jpg", 256)
    with Image.open(io.BytesIO(out)) as im:
        assert im.size == (256, 192) and im.format == "JPEG" and im.mode == "RGB"
    with Image.open(io.BytesIO(fetch.shrink_image(grey.getvalue(), "g.jpg", 256))) as im:
        assert im.mode == "RGB" and max(im.size) == 256  # greyscale originals become RGB
    assert fetch.shrink_image(small, "s.jpg", 256) == small
    assert fetch.shrink_image(small, "s.jpg", 224) == small  # exactly max_side: not re-encoded
    assert fetch.shrink_image(big, "a.jpg", 0) == big
    assert fetch.shrink_image(b"a,b\n1,2\n", "table.csv", 10) == b"a,b\n1,2\n"

    # Through a fetch: the large file is shrunk, the 224-px one stays byte-identical.
    rows = []
    for file, payload in (("Baroque/big.jpg", big), ("Baroque/small.jpg", small)):
        server.add(f"WikiArt/{file}", payload)
        rows.append(
            {
                "file": file,
                "source_repo": REPO,
                "source_commit": COMMIT,
                "source_path": f"WikiArt/{file}",
                "sha256": hashlib.sha256(payload).hexdigest(),
                "bytes": len(payload),
            }
        )
    _write_manifest(project / "sources" / "wikiart_styles7.csv", rows)
    report = fetch.fetch_dataset(_cfg(server, project), "wikiart_styles7", progress=False)
    assert report.ok and report.fetched == 2
    with Image.open(report.dest / "Baroque" / "big.jpg") as im:
        w, h = im.size
        assert max(w, h) == 256 and abs(w / h - 640 / 480) < 0.01
    assert (report.dest / "Baroque" / "small.jpg").read_bytes() == small


def test_dataset_root_order(project: Path, tmp_path: Path):
    mirror = tmp_path / "mirror"
    cfg = load_config("default", [f"paths.shared_datasets={mirror}"])
    raw = project / "data" / "raw" / "louvre_genre"
    assert data.dataset_location(cfg, "louvre_genre") == ("missing", raw)
    raw.mkdir(parents=True)
    assert data.dataset_location(cfg, "louvre_genre") == ("raw", raw)
    (mirror / "louvre_genre").mkdir(parents=True)
    assert data.dataset_location(cfg, "louvre_genre") == ("mirror", mirror / "louvre_genre")
    explicit = load_config(
        "default", [f"paths.shared_datasets={mirror}", f"datasets.louvre_genre.root={tmp_path / 'x'}"]
    )
    assert data.dataset_location(explicit, "louvre_genre") == ("missing", tmp_path / "x")  # explicit wins
    assert data.dataset_root(explicit, "louvre_genre") == tmp_path / "x"
    (tmp_path / "x").mkdir()
    assert data.dataset_location(explicit, "louvre_genre") == ("root", tmp_path / "x")


def test_datasets_needed_follow_the_config():
    cfg = load_config("default", ["data.dataset=wikiart_styles7", "gan.dataset=louvre_genre"])
    assert fetch.datasets_needed(cfg, ["00_data.ipynb"]) == ["wikiart_styles7"]
    assert fetch.datasets_needed(cfg, ["01_crawl.ipynb", "07_vqgan_clip.ipynb", "99_other.ipynb"]) == []
    needed = fetch.datasets_needed(cfg, ["03_autoencode.ipynb", "06_gan.ipynb"])
    assert needed == [*cfg.autoencode.datasets, "louvre_genre"] or set(needed) == {
        *cfg.autoencode.datasets,
        "louvre_genre",
    }


def test_offline_error_names_the_url_and_the_manual_fix(
    server: RawServer, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    _serve_set(server, project, _paintings(tmp_path / "paintings", 1))
    (project / "sources" / "wikiart_impressionists.notes.txt").write_text("companion\n")
    closed = f"http://127.0.0.1:{_free_port()}/{{repo}}/{{commit}}/{{path}}"  # nothing listens there
    cfg = _cfg(server, project, f"data.fetch.url_template={closed}", "data.fetch.retries=0")
    with pytest.raises(fetch.FetchError) as err:
        fetch.ensure_datasets(cfg, ["wikiart_impressionists", "wikiart_crawl"], progress=False)
    message = str(err.value)
    assert "127.0.0.1" in message and "original%20images" in message
    assert (
        "Put the files by hand in" in message
        and str(project / "data" / "raw" / "wikiart_impressionists") in message
    )
    assert "fetching 2 files" in capsys.readouterr().out
    assert not (
        project / "data" / "raw" / "wikiart_impressionists" / "notes.txt"
    ).exists()  # no stray folder content


def test_ensure_leaves_a_mirror_alone(server: RawServer, project: Path, tmp_path: Path):
    mirror = tmp_path / "mirror"
    _serve_set(server, project, _paintings(mirror / "wikiart_impressionists", 1))
    cfg = _cfg(server, project, f"paths.shared_datasets={mirror}")
    assert fetch.ensure_datasets(cfg, ["wikiart_impressionists"], progress=False) == []
    assert sum(server.hits.values()) == 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_shipped_manifests_and_data_table():
    cfg = load_config()
    assert set(fetch.shipped_datasets(cfg)) >= {
        "aic_paintings",
        "louvre_genre",
        "wikiart_impressionists",
        "wikiart_styles7",
        "painter_palette",
    }
    assert all(name in cfg.datasets for name in fetch.shipped_datasets(cfg))
    styles = fetch.read_manifest(fetch.manifest_path(cfg, "wikiart_styles7"))
    assert len(styles) == 7000 and len({r.file.split("/")[0] for r in styles}) == 7
    assert all(len(r.sha256) == 64 and r.bytes > 0 for r in styles[:50])
    table = data_table_markdown(cfg)
    assert "| 7,000 | style (7) |" in table and "CC0" in table and "7a1ba60" in table
    # The README and docs/data.md carry exactly the generated table (no hand-typed numbers).
    for doc in (REPO_ROOT / "README.md", REPO_ROOT / "docs" / "data.md"):
        text = doc.read_text()
        start, end = "<!-- results:data -->\n", "<!-- /results:data -->"
        assert start in text, f"{doc} lacks the data table markers"
        body = text.split(start, 1)[1].split(end, 1)[0]
        assert body == table.strip() + "\n", (
            f"{doc.name}: the data table is stale; regenerate it (python -m artdl data table / report)."
        )


@pytest.mark.integration
def test_fresh_clone_fetches_and_runs_the_data_notebook(server: RawServer, project: Path, tmp_path: Path):
    """No mirror next to the project: `python -m artdl run --only 00` fetches a small set, then runs."""
    rows = _serve_set(server, project, _paintings(tmp_path / "paintings", 12))
    (project / "notebooks").mkdir()
    shutil.copy2(REPO_ROOT / "notebooks" / "00_data.ipynb", project / "notebooks" / "00_data.ipynb")
    env = {**os.environ, "ARTDL_ROOT": str(project), "PYTHONPATH": str(REPO_ROOT / "src")}
    cmd = [
        sys.executable,
        "-m",
        "artdl",
        "run",
        "--only",
        "00",
        "data.dataset=wikiart_impressionists",
        f"paths.shared_datasets={project / 'empty_mirror'}",
        f"data.fetch.manifests={project / 'sources'}",
        f"data.fetch.url_template={server.template}",
    ]
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "fetching 24 files" in proc.stdout
    assert sum(server.hits.values()) == len(rows) == 24
    dest = project / "data" / "raw" / "wikiart_impressionists"
    assert all((dest / str(r["file"])).is_file() for r in rows)
    assert (project / "data" / "processed" / "wikiart_impressionists" / "splits.csv").is_file()
    # A second run finds the fetched set and downloads nothing.
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "fetching" not in proc.stdout
    assert sum(server.hits.values()) == 24


def test_no_fetch_test_needs_the_mirror():
    """A fresh clone has no ../shared/datasets: no test here may ask for it (or it would skip there)."""
    import inspect

    needy = [
        name
        for name, fn in globals().items()
        if name.startswith("test_") and "shared_datasets" in inspect.signature(fn).parameters
    ]
    assert not needy, f"these fetch tests need ../shared/datasets: {needy}"


# --------------------------------------------------------------------------------------------
# The one atomic write (artdl.core.atomic_path, and write_atomic over it for the fetch and the crawl)
# --------------------------------------------------------------------------------------------
class _DiskFull(OSError):
    pass


def _half_then_fail(self: Path, data: bytes) -> int:
    """Path.write_bytes that writes half the bytes, then fails as a full disk would."""
    with open(self, "wb") as fh:
        fh.write(data[: len(data) // 2])
    raise _DiskFull("No space left on device")


@pytest.mark.parametrize("writer", ["atomic_path", "write_atomic"])
def test_atomic_write_under_failure_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
):
    from artdl.core import atomic_path, write_atomic

    def write(path: Path, data: bytes) -> None:
        if writer == "atomic_path":
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        else:
            write_atomic(path, data)

    target = tmp_path / "sub" / "painting.jpg"
    write(target, b"old complete file")
    assert target.read_bytes() == b"old complete file"
    monkeypatch.setattr(Path, "write_bytes", _half_then_fail)
    with pytest.raises(_DiskFull):
        write(target, b"new file that never completes")
    assert target.read_bytes() == b"old complete file"  # the old file stays whole
    with pytest.raises(_DiskFull):
        write(tmp_path / "sub" / "new.jpg", b"x" * 100)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["painting.jpg"]  # no temp, no half file
    monkeypatch.undo()
    write(target, b"new")
    assert target.read_bytes() == b"new"


def test_atomic_path_fsync_and_the_part_suffix_the_sweepers_look_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from artdl.core import atomic_path, remove_stale_parts, write_atomic
    from artdl.crawl.store import prepare_out

    synced, seen = [], []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    with atomic_path(tmp_path / "a.bin", suffix=PART_SUFFIX, fsync=True) as tmp:
        seen.append(tmp.name)
        tmp.write_bytes(b"a")
    assert synced and seen[0].startswith(".a.bin.") and seen[0].endswith(PART_SUFFIX)
    synced.clear()
    with atomic_path(tmp_path / "b.bin") as tmp:
        tmp.write_bytes(b"b")
    assert not synced  # fsync only when asked
    # a crawl killed outright leaves such a temp file: prepare_out sweeps it
    write_atomic(tmp_path / "crawl" / "img" / "x.jpg", b"jpeg")
    (tmp_path / "crawl" / "img" / f".y.jpg.k3j2{PART_SUFFIX}").write_bytes(b"half")
    assert prepare_out(tmp_path / "crawl")["stale_temp_files_removed"] == 1
    assert (tmp_path / "crawl" / "img" / "x.jpg").read_bytes() == b"jpeg"
    (tmp_path / "crawl" / f"part{PART_SUFFIX}").write_bytes(b"a file of the set, not hidden: kept")
    assert remove_stale_parts(tmp_path / "crawl") == 0 and remove_stale_parts(tmp_path / "missing") == 0


def test_a_notebook_run_on_its_own_fetches_its_sets(server: RawServer, project: Path, tmp_path: Path):
    """What a notebook's setup cell does in Colab: the sets it reads come down, the others do not."""
    _serve_set(server, project, _paintings(tmp_path / "paintings", 2))
    cfg = _cfg(server, project, "gan.dataset=wikiart_impressionists")
    assert fetch.ensure_notebook_data(cfg, "06_gan", progress=False) == ["wikiart_impressionists"]
    dest = project / "data" / "raw" / "wikiart_impressionists"
    assert data.dataset_location(cfg, "wikiart_impressionists") == ("raw", dest)
    assert sum(server.hits.values()) == 4
    assert fetch.ensure_notebook_data(cfg, "07_vqgan_clip", progress=False) == []  # reads no shipped set
    assert fetch.ensure_notebook_data(cfg, "06_gan", progress=False) == ["wikiart_impressionists"]
    assert sum(server.hits.values()) == 4  # present now: nothing asked again
