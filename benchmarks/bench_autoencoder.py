"""03's autoencoders on the real collection: which variant to ship as the CPU default.

Each variant trains on the train split of 03's collection (``retrieve.load_collection``, as the
notebook loads it) and is scored on the test split: PSNR and SSIM of the reconstructions, and the
5-NN label accuracy of its codes with a Wilson interval, against raw pixels on the same test
paintings (McNemar's exact test, :func:`artdl.autoencode.compare_knn`).

    python benchmarks/bench_autoencoder.py                    # every variant below, one table
    python benchmarks/bench_autoencoder.py --append --threads 1 --only dae_up_5   # one row at a time

The committed table was run one variant per call (``--append``) on a shared 2-core machine with one
torch thread: there, two threads fighting other processes made a small training step 15x slower.
"train s" is that machine's wall time under the load average shown beside it, so read it as a
ratio to the ``dae_transposed_5`` row (the old default), not as a quiet machine's seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, report  # noqa: E402

from artdl import autoencode, retrieve  # noqa: E402
from artdl.core import StatsConfig, load_config  # noqa: E402

# name: (model kind, overrides of the autoencode section). "pca" is the linear reference: the best
# a linear code of the same size can reconstruct. The first autoencoder is the old default.
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "pca_64 (reference)": ("pca", []),
    "dae_transposed_5": ("dae", ["autoencode.decoder=transposed", "autoencode.epochs=5"]),
    "dae_up_5": ("dae", ["autoencode.epochs=5"]),
    "dae_up_5_bs16": ("dae", ["autoencode.epochs=5", "autoencode.batch_size=16"]),
    "dae_up_5_bs16_perc": ("dae", ["autoencode.epochs=5", "autoencode.batch_size=16",
                                   "autoencode.perceptual_weight=0.002"]),
    "dae_up_12_bs16_perc": ("dae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                    "autoencode.perceptual_weight=0.002"]),
    "swae_up_5_bs16": ("swae", ["autoencode.epochs=5", "autoencode.batch_size=16"]),
    "swae_up_8_bs16": ("swae", ["autoencode.epochs=8", "autoencode.batch_size=16"]),
    "swae_up_12_bs16_perc": ("swae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                      "autoencode.perceptual_weight=0.002"]),
    "pca_256 (reference)": ("pca", ["autoencode.latent_dim=256"]),
    "dae_flat256_12_perc": ("dae", ["autoencode.epochs=12", "autoencode.batch_size=16", "autoencode.latent_dim=256",
                                    "autoencode.perceptual_weight=0.002"]),
    "dae_spatial256_12_perc": ("dae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                       "autoencode.latent_dim=256", "autoencode.bottleneck=spatial",
                                       "autoencode.perceptual_weight=0.002"]),
    "dae_spatial256_3st_12_perc": ("dae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                           "autoencode.latent_dim=256", "autoencode.bottleneck=spatial",
                                           "autoencode.channels=[32,64,128]", "autoencode.perceptual_weight=0.002"]),
    "swae_spatial256_12_perc": ("swae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                         "autoencode.latent_dim=256", "autoencode.bottleneck=spatial",
                                         "autoencode.perceptual_weight=0.002"]),
    "swae_spatial256_3st_12_perc": ("swae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                             "autoencode.latent_dim=256", "autoencode.bottleneck=spatial",
                                             "autoencode.channels=[32,64,128]", "autoencode.perceptual_weight=0.002"]),
    "dae_spatial512_3st_12_perc": ("dae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                           "autoencode.latent_dim=512", "autoencode.bottleneck=spatial",
                                           "autoencode.channels=[32,64,128]", "autoencode.perceptual_weight=0.002"]),
    "swae_spatial512_3st_12_perc": ("swae", ["autoencode.epochs=12", "autoencode.batch_size=16",
                                             "autoencode.latent_dim=512", "autoencode.bottleneck=spatial",
                                             "autoencode.channels=[32,64,128]", "autoencode.perceptual_weight=0.002"]),
    "pca_512 (reference)": ("pca", ["autoencode.latent_dim=512"]),
}  # fmt: skip


class _PCA(torch.nn.Module):
    """PCA of the train split's pixels as an "autoencoder" (codes, reconstructions), for the reference row."""

    def __init__(self, train_images: torch.Tensor, dim: int) -> None:
        super().__init__()
        x = train_images.float().flatten(1) / 255.0
        self.mean = x.mean(0)
        self.basis = torch.pca_lowrank(x - self.mean, q=dim, center=False)[2]  # (pixels, dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.mean) @ self.basis

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return (z @ self.basis.T + self.mean).view_as(x).clamp(0, 1), z


# what the variants above leave unsaid is the old default's, so a rerun measures the same thing
OLD_DEFAULT = ["autoencode.batch_size=64", "autoencode.perceptual_weight=0.0", "autoencode.decoder=upsample",
               "autoencode.latent_dim=64", "autoencode.bottleneck=flat", "autoencode.channels=[16,32,64,128]"]


def run_variant(name: str, images: torch.Tensor, table, pixels_knn: dict, threads: int) -> dict:
    kind, overrides = VARIANTS[name]
    cfg = load_config("default", OLD_DEFAULT + overrides + ["device=cpu"])
    split = table["split"].to_numpy()
    train, val, test = (torch.tensor(split == s) for s in ("train", "val", "test"))
    torch.manual_seed(cfg.seed)
    start = time.perf_counter()
    if kind == "pca":
        model = _PCA(images[train], int(cfg.autoencode.latent_dim))
    else:
        model, _ = autoencode.fit_from_config(kind, images, train, val, cfg, "cpu")
    seconds = time.perf_counter() - start
    quality = autoencode.reconstruction_quality(model, images[test])
    codes = model.encode(images.float() / 255.0).numpy() if kind == "pca" else autoencode.encode(model, images).numpy()
    labels = table["label"].astype(str).to_numpy()
    knn = autoencode.knn_label_accuracy(codes, labels, split == "train", split == "test")
    vs = autoencode.compare_knn(knn, pixels_knn, (kind.upper(), "pixels"), StatsConfig.from_config(cfg))
    return {
        "variant": name,
        "train s": seconds,
        "load avg": os.getloadavg()[0],
        "epochs": int(cfg.autoencode.epochs) if kind != "pca" else "–",
        "test PSNR dB": quality["psnr"],
        "test SSIM": quality["ssim"],
        "5-NN acc": knn["accuracy"],
        "Wilson 95%": f"[{knn['low']:.3f}, {knn['high']:.3f}]",
        "vs pixels": f"{vs['difference']:+.3f} [{vs['low']:+.3f}, {vs['high']:+.3f}], McNemar p={vs['p_value']:.2f}",
        "verdict": "measurable" if vs["significant"] else "no measurable difference",
    }


def _earlier_rows(replaced: set[str]) -> list[dict]:
    path = RESULTS / "bench_autoencoder.json"
    if not path.is_file():
        return []
    return [r for r in json.loads(path.read_text())["rows"] if r["variant"] not in replaced]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--append", action="store_true", help="keep the other variants' rows of the last results file"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config("default", ["device=cpu"])
    start = time.perf_counter()
    table = retrieve.load_collection(cfg)
    images = retrieve.collection_images(table, int(cfg.autoencode.image_size))
    load_seconds = time.perf_counter() - start
    split = table["split"].to_numpy()
    labels = table["label"].astype(str).to_numpy()
    pixels = autoencode.knn_label_accuracy(
        images.float().flatten(1).numpy(), labels, split == "train", split == "test"
    )
    rows = []
    for name in args.only:
        rows.append(run_variant(name, images, table, pixels, args.threads))
        print(rows[-1], flush=True)
    if args.append:  # one short run per variant on a shared machine, one table at the end
        rows = _earlier_rows(set(args.only)) + rows

    notes = (
        f"collection {len(table)} paintings ({' + '.join(sorted(table['dataset'].unique()))}), "
        f"splits {table['split'].value_counts().to_dict()}, {cfg.autoencode.image_size} px; "
        f"load {load_seconds:.1f} s; raw pixels 5-NN {pixels['accuracy']:.3f} "
        f"[{pixels['low']:.3f}, {pixels['high']:.3f}] (n={pixels['n_test']}, chance {pixels['chance']:.3f}); "
        f"torch threads {args.threads}; load average at the end of the last run {os.getloadavg()[0]:.2f}"
    )
    columns = ["variant", "epochs", "train s", "load avg", "test PSNR dB", "test SSIM", "5-NN acc", "Wilson 95%",
               "vs pixels", "verdict"]  # fmt: skip
    report("bench_autoencoder", rows, columns, notes)


if __name__ == "__main__":
    main()
