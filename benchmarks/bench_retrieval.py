"""Retrieval throughput: queries/s of exact cosine top-10 over 10k, 100k and 1M synthetic
512-d embeddings, torch matmul on CPU and GPU vs. a faiss flat inner-product index.

Both are exact (same neighbours), so the comparison is purely speed. Embeddings are
L2-normalised, so inner product = cosine.

    python benchmarks/bench_retrieval.py --sizes 10000 100000 1000000 --queries 256
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402


def torch_topk(queries: torch.Tensor, index: torch.Tensor, k: int, chunk: int = 262_144) -> torch.Tensor:
    """Exact top-k by inner product, scanning the collection in chunks to bound memory."""
    best_s = best_i = None
    for start in range(0, index.shape[0], chunk):
        s = queries @ index[start : start + chunk].T
        v, i = s.topk(min(k, s.shape[1]), dim=1)
        i = i + start
        if best_s is None:
            best_s, best_i = v, i
        else:
            cat_s, cat_i = torch.cat([best_s, v], 1), torch.cat([best_i, i], 1)
            best_s, pos = cat_s.topk(k, dim=1)
            best_i = cat_i.gather(1, pos)
    return best_i


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=256)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import faiss
    except ImportError:
        faiss = None
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        base = rng.standard_normal((n, args.dim), dtype=np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        q = base[rng.choice(n, args.queries, replace=False)] + 0.01 * rng.standard_normal(
            (args.queries, args.dim), dtype=np.float32
        )
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        backends = {"torch CPU": ("cpu", None)}
        if torch.cuda.is_available():
            backends["torch GPU"] = ("cuda", None)
        if faiss is not None:
            backends["faiss IndexFlatIP (CPU)"] = ("faiss", None)
        reference = None
        for name, (kind, _) in backends.items():
            if kind == "faiss":
                index = faiss.IndexFlatIP(args.dim)
                index.add(base)
                fn = lambda index=index, q=q: index.search(q, args.k)[1]  # noqa: E731
            else:
                device = torch.device(kind)
                tb, tq = torch.from_numpy(base).to(device), torch.from_numpy(q).to(device)

                def fn(tb=tb, tq=tq, device=device):
                    out = torch_topk(tq, tb, args.k)
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                    return out.cpu().numpy()

            seconds = timed(fn, args.repeats)
            ids = np.asarray(fn())
            if reference is None:
                reference = ids
            agree = float((np.sort(ids, 1) == np.sort(reference, 1)).mean())
            rows.append(
                {
                    "collection": f"{n:,}",
                    "backend": name,
                    "queries/s": args.queries / seconds,
                    "ms / batch": 1000 * seconds,
                    "same top-10 as torch CPU": agree,
                }
            )
            print(rows[-1], flush=True)
    report(
        "retrieval",
        rows,
        ["collection", "backend", "queries/s", "ms / batch", "same top-10 as torch CPU"],
        notes=f"exact cosine top-{args.k}, {args.dim}-d float32, batches of {args.queries} queries",
    )


if __name__ == "__main__":
    main()
