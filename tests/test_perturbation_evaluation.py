"""Evaluation: batched equals per-sample, white-box FGSM on the source model equals the FGSM benchmark,
the tidy CSV's columns, and the sanity flags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from perturbstudy.artifacts import save_tensors
from perturbstudy.checkpoints import save_model
from perturbstudy.config import load_config
from perturbstudy.contract import group_step_params, step_params
from perturbstudy.data import SPLITS_FORMAT, Pool, load_splits
from perturbstudy.equal_l2.benchmarks import equal_l2_fgsm, gaussian_benchmark
from perturbstudy.models import build_model
from perturbstudy.perturbation.evaluation import EvalSettings, evaluate_model, sanity_flags
from perturbstudy.perturbation.grid import FACTORS
from perturbstudy.smk import Files, Job
from perturbstudy.steps.benchmarks import benchmark_fgsm, benchmark_gaussian
from perturbstudy.steps.evaluate import evaluate
from perturbstudy.train import predict

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def digits(n: int, side: int, seed: int) -> Pool:
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    x = torch.rand((n, 1, side, side), generator=g) * 0.2
    for c in range(4):  # a class-dependent bright bar, so a model can learn something
        x[labels == c, :, 2 + 2 * c:4 + 2 * c, 2:side - 2] = 0.9
    return Pool(x, labels)


def trained_tiny(side: int = 12) -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * (side - 2) ** 2, 4))
    pool = digits(64, side, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(30):
        opt.zero_grad()
        nn.functional.cross_entropy(model(pool.images), pool.labels).backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    return model.eval()


def test_batched_evaluation_equals_per_sample():
    model = trained_tiny()
    train, test = digits(20, 12, 2), digits(16, 12, 3)
    levels = [0.5, 1.5, 3.0]
    gauss = gaussian_benchmark(test.images, levels, seed=0)
    fgsm = equal_l2_fgsm(model, test.images, test.labels, levels)
    settings = EvalSettings(batch_size=64, pgd_radii=(0.5, 2.0), pgd_steps=3)
    batched, stats = evaluate_model(model, train, test, gauss, fgsm, settings)
    one = EvalSettings(**{**settings.__dict__, "batch_size": 1})
    single, _ = evaluate_model(model, train, test, gauss, fgsm, one)
    pd.testing.assert_frame_equal(batched, single)
    # and equal to counting one image at a time by hand at one benchmark level
    rows, images = gauss.images(test.images, 1)
    with torch.no_grad():
        hits = [int(model(images[i:i + 1]).argmax(1) == test.labels[rows[i]]) for i in range(len(rows))]
    by_hand = sum(hits) / len(rows)
    got = batched[(batched.testset == "gaussian_benchmark") & (batched.benchmark_level == 1.5)]["accuracy"].item()
    assert got == pytest.approx(by_hand)
    assert batched.loc[batched.testset == "test", "accuracy"].item() > 0.5  # the model learned something
    assert all(p.grad is None for p in model.parameters())
    means = batched[batched.benchmark_level == "mean"]
    assert set(means.testset) == {"gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm"}
    per_level = batched[(batched.testset == "gaussian_benchmark") & (batched.benchmark_level != "mean")]
    assert means[means.testset == "gaussian_benchmark"]["accuracy"].item() == pytest.approx(per_level.accuracy.mean())
    pgd = batched[batched.testset == "whitebox_pgd_l2"]
    assert list(pgd.benchmark_level) == [0.5, 2.0] and (pgd.accuracy.diff().dropna() <= 0).all()


def _write_splits(path: Path, side: int = 28) -> None:
    pools = {"train": digits(24, side, 4), "val": digits(8, side, 5), "test": digits(20, side, 6)}
    payload = {"format": SPLITS_FORMAT, "class_names": ["a", "b", "c", "d"]}
    for name, pool in pools.items():
        payload[f"{name}_images"], payload[f"{name}_labels"] = pool.images, pool.labels
    save_tensors(path, payload)


@pytest.mark.slow
def test_steps_whitebox_fgsm_on_source_equals_benchmark(tmp_path):
    config = load_config(ROOT / "config" / "smoke.yaml")
    config["benchmarks"].update({"levels": [0.5, 1.0, 2.0, 4.0], "batch_size": 7})
    config["whitebox"]["pgd_l2"].update({"radii": [1.0], "steps": 2})
    splits = tmp_path / "splits.pt"
    _write_splits(splits)
    torch.manual_seed(0)
    model = build_model("lenet5", 1, 4, 28)
    with torch.no_grad():  # a confident, non-trivial classifier
        model.classifier[-1].bias.zero_()
    model_path = tmp_path / "model.pt"
    save_model(model_path, model, "lenet5", 1, 4, 28, {})
    gpt, gjs, fpt, fjs = (tmp_path / n for n in ("g.pt", "g.json", "f.pt", "f.json"))
    wc = {"arch": "lenet5", "series": "clean", "setid": "base", "seed": "0"}

    def job(rule: str, inputs: dict, outputs: dict) -> Job:  # what the rule's script hands its step
        return Job(step_params(rule, config, wc), Files(inputs), Files(outputs), threads=1)

    benchmark_gaussian(job("benchmark_gaussian", {"splits": str(splits)}, {"bench": str(gpt), "summary": str(gjs)}))
    benchmark_fgsm(job("benchmark_fgsm", {"splits": str(splits), "model": str(model_path)},
                       {"bench": str(fpt), "summary": str(fjs)}))
    csv, flags = tmp_path / "eval.csv", tmp_path / "eval.flags.json"
    group = Job(group_step_params("evaluate", config, [wc]), threads=1,  # a group of one model
                input=Files({"models": [str(model_path)], "splits": str(splits), "gaussian": str(gpt),
                             "fgsm": str(fpt), "trainsets": []}),
                output=Files({"csvs": [str(csv)], "flags": [str(flags)]}))
    evaluate(group)
    frame = pd.read_csv(csv)
    expected = ["model", "architecture", "series", "set", "seed", "testset", "attack", "benchmark_level",
                "accuracy", "n", *FACTORS]
    assert list(frame.columns) == expected
    wb = frame[frame.testset == "whitebox_fgsm"].set_index("benchmark_level")
    tr = frame[frame.testset == "fgsm_benchmark"].set_index("benchmark_level")
    assert len(wb) == 5  # four levels and the mean
    pd.testing.assert_series_equal(wb["accuracy"], tr["accuracy"])
    pd.testing.assert_series_equal(wb["n"], tr["n"])
    assert set(frame.testset) == {"train", "test", "gaussian_benchmark", "fgsm_benchmark", "whitebox_fgsm",
                                  "whitebox_pgd_l2"}
    assert (frame[list(FACTORS)] == 0).all().all()
    test_acc = frame.loc[frame.testset == "test", "accuracy"].item()
    splits_obj = load_splits(splits)
    assert test_acc == pytest.approx(float((predict(model, splits_obj.test.images) == splits_obj.test.labels)
                                           .float().mean()))
    assert "warnings" in pd.read_json(flags, typ="series")


def _frame(rows):
    return pd.DataFrame(rows, columns=["testset", "attack", "benchmark_level", "accuracy", "n"])


def test_sanity_flags_fire_and_stay_quiet():
    good = _frame([
        ("test", "none", "", 0.9, 10),
        ("fgsm_benchmark", "a", 1.0, 0.5, 10), ("fgsm_benchmark", "a", 2.0, 0.2, 10),
        ("whitebox_fgsm", "a", 1.0, 0.4, 10), ("whitebox_fgsm", "a", 2.0, 0.0, 10),
        ("whitebox_fgsm", "a", "mean", 0.2, 20),
        ("whitebox_pgd_l2", "p", 1.0, 0.1, 10), ("whitebox_pgd_l2", "p", 3.0, 0.0, 10),
    ])
    settings = EvalSettings()
    flags = sanity_flags(good, {"zero_gradient_samples": 0.0}, True, settings)
    assert flags["ok"] and flags["warnings"] == []
    assert flags["largest_radius"]["whitebox_pgd_l2"]["success_rate"] == 1.0
    bad = _frame([
        ("test", "none", "", 0.9, 10),
        ("fgsm_benchmark", "a", 1.0, 0.3, 10), ("fgsm_benchmark", "a", 2.0, 0.2, 10),
        ("whitebox_fgsm", "a", 1.0, 0.4, 10), ("whitebox_fgsm", "a", 2.0, 0.6, 10),
        ("whitebox_pgd_l2", "p", 1.0, 0.5, 10), ("whitebox_pgd_l2", "p", 3.0, 0.6, 10),
    ])
    flags = sanity_flags(bad, {"zero_gradient_samples": 0.25}, True, settings)
    assert not flags["ok"]
    assert flags["accuracy_rises_with_radius"]["whitebox_fgsm"] == [2.0]
    assert flags["accuracy_rises_with_radius"]["whitebox_pgd_l2"] == [3.0]
    assert flags["whitebox_above_transfer_levels"] == [1.0, 2.0]
    text = " ".join(flags["warnings"])
    assert "all-zero input gradient" in text and "on a clean model" in text
    # the same numbers on a perturbed (non-clean) model do not ask for near-100% success
    assert "on a clean model" not in " ".join(sanity_flags(bad, {}, False, settings)["warnings"])


def test_pgd_on_a_stratified_subset_of_the_test_split():
    """pgd_l2.max_images: PGD on that many test images, evenly spaced over the class-ordered split."""
    from perturbstudy.perturbation.evaluation import pgd_rows

    model = trained_tiny()
    test = digits(16, 12, 3)
    order = torch.argsort(test.labels, stable=True)  # ordered by class, like the study's splits
    test = Pool(test.images[order], test.labels[order])
    full = EvalSettings(pgd_radii=(0.5, 2.0), pgd_steps=3)
    subset = EvalSettings(**{**full.__dict__, "pgd_max_images": 8})
    (rows,) = pgd_rows(model, test, subset)
    assert [r["n"] for r in rows] == [8, 8]
    idx = torch.linspace(0, 15, 8).round().long()
    assert torch.bincount(test.labels[idx]).tolist() == [2, 2, 2, 2]  # every class equally
    (by_hand,) = pgd_rows(model, Pool(test.images[idx], test.labels[idx]), full)
    assert [r["accuracy"] for r in rows] == [r["accuracy"] for r in by_hand]
    (all_rows,) = pgd_rows(model, test, EvalSettings(**{**full.__dict__, "pgd_max_images": 100}))
    assert [r["n"] for r in all_rows] == [16, 16]


def test_stacked_evaluation_of_several_models_equals_evaluating_each_alone():
    """evaluate_models on a chunk of LeNet-5s (one StackedModels, interleaved rows, each model attacking with its own
    gradient) gives each model's evaluate_model numbers, up to float rounding (at most one image per row)."""
    from perturbstudy.models import build_model
    from perturbstudy.perturbation.evaluation import evaluate_models

    torch.manual_seed(0)
    models = [build_model("lenet5", 1, 4, 28).eval() for _ in range(3)]
    trains = [digits(20 + 4 * i, 28, 10 + i) for i in range(3)]
    test = digits(24, 28, 3)
    levels = [0.5, 2.0, 6.0]
    gauss = gaussian_benchmark(test.images, levels, seed=0)
    fgsm = equal_l2_fgsm(models[0], test.images, test.labels, levels)
    settings = EvalSettings(batch_size=10, pgd_radii=(0.5, 2.0), pgd_steps=3)
    together = evaluate_models(models, trains, test, gauss, fgsm, settings, chunk=3)
    for model, train, (frame, stats) in zip(models, trains, together, strict=True):
        alone, alone_stats = evaluate_model(model, train, test, gauss, fgsm, settings)
        pd.testing.assert_frame_equal(frame.drop(columns="accuracy"), alone.drop(columns="accuracy"))
        assert ((frame["accuracy"] - alone["accuracy"]).abs() * frame["n"] <= 1 + 1e-9).all()
        assert stats["excluded_whitebox_fgsm"] == alone_stats["excluded_whitebox_fgsm"]
        assert stats["zero_gradient_samples"] == pytest.approx(alone_stats["zero_gradient_samples"], abs=1 / 24)
    assert not together[0][0]["accuracy"].equals(together[1][0]["accuracy"])  # three different models


def test_stacked_models_need_whole_rows_of_models():
    from perturbstudy.grouped import StackedModels
    from perturbstudy.models import build_model

    net = StackedModels([build_model("lenet5"), build_model("lenet5")])
    assert net(torch.rand(4, 1, 28, 28)).shape == (4, 10)
    with pytest.raises(ValueError, match="multiple of 2 rows"):
        net(torch.rand(3, 1, 28, 28))
