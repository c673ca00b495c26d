"""Leave-one-out retrieval evaluation (04's table): seconds and peak memory per collection size.

Every painting queries all the others, so one embedding's ranking is N x N: at ``full``'s 12,000
paintings that is 144 M ranks. :func:`artdl.retrieve.leave_one_out` ranks a block of queries at a
time; this script measures what that costs against ranking the whole collection as one block, on
synthetic embeddings with 04's label sets (27 styles; 129 artist names, as strings of realistic
length, a fifth of them unknown). Each case runs in its own process, so its peak resident memory
is its own.

    python benchmarks/bench_leave_one_out.py --sizes 781 3000 6000 12000 --one-block-max 12000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402


def _resident_mib() -> float:
    """Current resident memory of this process (``/proc/self/statm``), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _synthetic(n: int, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clustered unit embeddings with style labels, artist names and a known-artist mask."""
    rng = np.random.default_rng(0)
    styles = rng.integers(0, 27, n)
    feats = rng.standard_normal((n, dim), dtype=np.float32) + 0.5 * rng.standard_normal((27, dim), dtype=np.float32)[styles]
    names = np.array([f"Painter {i:03d} of the School of Somewhere" for i in range(129)])
    artists = names[rng.integers(0, 129, n)]
    known = rng.random(n) > 0.2
    return feats, np.array([f"style_{s:02d}" for s in styles]), artists, known


def _child(n: int, dim: int, one_block: bool) -> None:
    from artdl.retrieve import evaluation

    feats, styles, artists, known = _synthetic(n, dim)
    if one_block:
        evaluation._LEAVE_ONE_OUT_ENTRIES = n * n  # the whole collection at once
    before = _resident_mib()
    start = time.perf_counter()
    out = evaluation.leave_one_out({"e": feats}, {"label": (styles, None), "artist": (artists, known)}, k=10)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    scores = {what: [out[what]["e"]["precision@k"], out[what]["e"]["mAP"]] for what in out}
    print(json.dumps({"seconds": seconds, "extra_mib": peak - before, "scores": scores}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[781, 3000, 6000, 12000])
    parser.add_argument("--dim", type=int, default=1280, help="embedding width (Lite0's pooled features)")
    parser.add_argument("--one-block-max", type=int, default=12000, help="largest size also ranked as one block")
    parser.add_argument("--child", nargs=3, metavar=("N", "DIM", "ONE_BLOCK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, dim, one_block = args.child
        _child(int(n), int(dim), one_block == "1")
        return
    rows = []
    for n in args.sizes:
        blocked = None
        for one_block in (False, True) if n <= args.one_block_max else (False,):
            cmd = [sys.executable, __file__, "--child", str(n), str(args.dim), "1" if one_block else "0"]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            blocked = blocked or result["scores"]
            rows.append(
                {
                    "paintings": f"{n:,}",
                    "ranking": "one block" if one_block else "blocks (04's)",
                    "seconds": result["seconds"],
                    "peak extra MiB": result["extra_mib"],
                    "same scores": result["scores"] == blocked,
                }
            )
            print(rows[-1], flush=True)
    report(
        "leave_one_out",
        rows,
        ["paintings", "ranking", "seconds", "peak extra MiB", "same scores"],
        notes=(
            f"leave_one_out of one {args.dim}-d embedding for 04's two label sets (style, artist), P@10 and mAP; "
            "peak extra MiB: the process's peak resident memory above what it held before the call"
        ),
    )


if __name__ == "__main__":
    main()
