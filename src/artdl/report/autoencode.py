"""03 · autoencoders: Findings and the README table from ``results/03_autoencode.json``
(a :class:`artdl.autoencode.AutoencodeRecord`).

Whether a code beats raw pixels is said by the stored McNemar verdict, never by the sign of the
accuracy gap; a record without the paired comparison (converted from an older run) says
"re-run 03" instead.
"""

from __future__ import annotations

from artdl.autoencode import AutoencodeRecord, AutoencoderRun
from artdl.report.markdown import md_table

RECORD = AutoencodeRecord
RERUN = "re-run 03 (`python -m artdl run --only 03`)"


def findings(record: AutoencodeRecord) -> str:
    """03's Findings: what each autoencoder was trained on and its kNN label accuracy against raw pixels."""
    col, models, knn = record.collection, record.models, record.knn
    first = next(iter(models.values()))
    pixels = knn["pixels"]
    trained_on = (
        f"the {col.splits['train']} paintings of the train split of a {col.n}-painting collection"
        if col.splits and "train" in col.splits
        else f"the train split of a {col.n}-painting collection"
    )
    lines = [
        f"- Both autoencoders trained {first.epochs} epochs on {trained_on} "
        f"({', '.join(col.datasets)}) at {col.image_size} px, to a {first.latent_dim}-d code.",
        _quality(models),
        f"- 5-NN label accuracy on the test split (n={pixels.n_test}, chance {pixels.chance:.3f}; 95% Wilson "
        "intervals): " + ", ".join(f"{k} {v.accuracy:.3f} [{v.low:.3f}, {v.high:.3f}]" for k, v in knn.items()) + ".",
    ]
    if record.vs_pixels is None:
        lines.append(f"- Codes vs raw pixels, painting by painting: not in this record; {RERUN}.")
    else:
        for name, c in record.vs_pixels.items():
            lines.append(
                f"- {name.upper()} codes vs raw pixels: {c.sentence}; 95% paired bootstrap interval of the "
                f"difference [{c.low:+.3f}, {c.high:+.3f}]."
            )
    return "\n".join(lines)


def _quality(models: dict[str, AutoencoderRun]) -> str:
    """The reconstruction line: test PSNR and SSIM per model, or where they are missing, what to do."""
    mse = ", ".join(f"{k.upper()} {v.val_recon_mse:.4f}" for k, v in models.items())
    if any(v.test_psnr is None or v.test_ssim is None for v in models.values()):
        return f"- Test-split PSNR and SSIM are not in this record: {RERUN}. Validation MSE: {mse}."
    scores = "; ".join(f"{k.upper()} PSNR {v.test_psnr:.1f} dB, SSIM {v.test_ssim:.2f}" for k, v in models.items())
    return f"- Test-split reconstructions: {scores} (validation MSE: {mse})."


def readme(record: AutoencodeRecord) -> dict[str, str]:
    """The README's 03 table: kNN accuracy per embedding beside pixels, so an embedding is judged against no learning."""
    knn, vs = record.knn, record.vs_pixels

    def cell(value: float | None, fmt: str) -> str:
        return "re-run 03" if value is None else format(value, fmt)

    def versus(name: str) -> str:
        if vs is None:
            return "re-run 03"
        c = vs[name]
        said = "measurable" if c.significant else "no measurable difference"
        return f"{c.difference:+.3f} [{c.low:+.3f}, {c.high:+.3f}], p = {c.p_value:.2g} ({said})"

    rows = [
        [k.upper(), v.epochs, cell(v.test_psnr, ".1f"), cell(v.test_ssim, ".2f"),
         f"{knn[k].accuracy:.3f} [{knn[k].low:.3f}, {knn[k].high:.3f}]", versus(k)]
        for k, v in record.models.items()
    ]  # fmt: skip
    p = knn["pixels"]
    rows.append(["raw pixels", "–", "–", "–", f"{p.accuracy:.3f} [{p.low:.3f}, {p.high:.3f}]", "–"])
    headers = ["space", "epochs", "test PSNR (dB)", "test SSIM", "5-NN label acc. (test, 95% CI)",
               "vs raw pixels (McNemar)"]  # fmt: skip
    table = md_table(rows, headers, "lrrrrl")
    return {"autoencode": f"{table}\n\nChance (majority label of the test split): {p.chance:.3f}."}
