"""03 · autoencoders: Findings and the README table from ``results/03_autoencode.json``
(a :class:`artdl.autoencode.AutoencodeRecord`)."""

from __future__ import annotations

from artdl.autoencode import AutoencodeRecord
from artdl.report import md_table

RECORD = AutoencodeRecord


def findings(record: AutoencodeRecord) -> str:
    col, models, knn = record.collection, record.models, record.knn
    best = max(models, key=lambda k: knn[k].accuracy)
    lower = min(models, key=lambda k: models[k].val_recon_mse)
    pixels = knn["pixels"]
    beats = knn[best].accuracy > pixels.accuracy
    lines = [
        f"- Both autoencoders trained {models[best].epochs} epochs on {col.n} paintings "
        f"({', '.join(col.datasets)}) at {col.image_size} px, to a {models[best].latent_dim}-d code.",
        "- Held-out reconstruction MSE: "
        + ", ".join(f"{k.upper()} {v.val_recon_mse:.4f}" for k, v in models.items())
        + f"; the {lower.upper()} reconstructs better.",
        f"- 5-NN label accuracy on the test split (n={pixels.n_test}, chance {pixels.chance:.3f}): "
        + ", ".join(f"{k} {v.accuracy:.3f}" for k, v in knn.items())
        + ".",
        f"- The best code, the {best.upper()}'s, "
        + ("beats" if beats else "does **not** beat")
        + f" raw pixels ({knn[best].accuracy:.3f} vs {pixels.accuracy:.3f}): "
        + (
            "the codes keep more of what separates the labels than the pixels they came from."
            if beats
            else "at this size and training time the codes are a compression, not a better space "
            "for comparing paintings."
        ),
    ]
    return "\n".join(lines)


def readme(record: AutoencodeRecord) -> dict[str, str]:
    knn = record.knn
    rows = [
        [k.upper(), v.epochs, f"{v.val_recon_mse:.4f}", f"{knn[k].accuracy:.3f}"]
        for k, v in record.models.items()
    ]
    rows.append(["raw pixels", "–", "–", f"{knn['pixels'].accuracy:.3f}"])
    table = md_table(rows, ["space", "epochs", "val recon MSE", "5-NN label acc. (test)"], "lrrr")
    return {
        "autoencode": f"{table}\n\nChance (majority label of the test split): {knn['pixels'].chance:.3f}."
    }
