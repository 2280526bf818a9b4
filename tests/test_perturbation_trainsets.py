"""Training-set builders and storage: level-independent directions, exact levels, common base images, stable hashes."""

from __future__ import annotations

import copy

import pytest
import torch

from perturbstudy.artifacts import save_tensors, sha256_file
from perturbstudy.contract import step_params
from perturbstudy.data import Pool, Splits
from perturbstudy.equal_l2.calibrate import TOLERANCE, apply_scale, perturbation_l2
from perturbstudy.errors import DataError
from perturbstudy.models import build_model
from perturbstudy.perturbation.grid import TrainingSet, set_factors, training_sets
from perturbstudy.perturbation.series import SPECS
from perturbstudy.perturbation.trainsets import (
    SeriesSettings,
    build_directions,
    build_set,
    materialize,
    summarize_set,
)

torch.set_num_threads(1)
K = 4


def _splits(per_class: int = 12, seed: int = 0) -> Splits:
    gen = torch.Generator().manual_seed(seed)
    n = per_class * K
    x = torch.rand((n, 1, 28, 28), generator=gen)
    x[x < 0.6] = 0.0  # MNIST-like: many saturated background pixels
    x[x > 0.95] = 1.0
    y = torch.arange(K).repeat_interleave(per_class)
    val = Pool(x[:K], y[:K])
    return Splits(Pool(x, y), val, val, tuple(str(i) for i in range(K)))


def _config() -> dict:
    archs = {"lenet5": {"train": {}}}
    return {"architectures": archs, "seeds": [3, 1], "series": {
        "seed": 5,
        "rq1_gaussian": {"architectures": None, "levels": [0.0, 1.5, 4.0], "per_class": 3},
        "rq2_fgsm": {"architectures": ["lenet5"], "levels": [0.5, 2.0, 6.0], "per_class": 3},
        "rq2_inverse_fgsm": {"architectures": ["lenet5"], "levels": [2.0], "per_class": 3},
        "rq3_imbalance": {"architectures": ["lenet5"], "levels": [0.25, 0.5], "majority_class": None},
        "rq4_label_error": {"architectures": ["lenet5"], "levels": [0.25, 0.5]},
        "rq5_dual": {"architectures": ["lenet5"], "gaussian_levels": [0.0, 2.0], "fgsm_levels": [0.0, 3.0],
                     "per_class": 2},
        "rq6_four": {"architectures": ["lenet5"], "gaussian_levels": [0, 1, 2, 3, 4], "fgsm_levels": [0, 1, 2, 3, 4],
                     "imbalance_levels": [0.2, 0.25, 0.3, 0.35, 0.4],
                     "label_error_levels": [0, 0.05, 0.1, 0.15, 0.2], "per_class": 2},
    }}


def _sets(cfg: dict, series: str | None = None) -> list[TrainingSet]:
    sets = training_sets(list(cfg["architectures"]), cfg["series"])
    return [s for s in sets if series is None or s.series == series]


def _directions(cfg: dict, series: str, splits: Splits, source: torch.nn.Module | None) -> dict:
    """The directions artifact as the trainset_directions step builds it from its rule's params."""
    p = step_params("trainset_directions", cfg, {"arch": "lenet5", "series": series})
    return build_directions(SPECS[series], "lenet5", splits, SeriesSettings.from_params(p),
                            float(p.get("gaussian_reach", 0.0)), source)


def _set(cfg: dict, series: str, setid: str, splits: Splits, directions: dict | None) -> dict:
    """One training set as the trainset step builds it from its rule's params."""
    p = step_params("trainset", cfg, {"arch": "lenet5", "series": series, "setid": setid})
    return build_set(SPECS[series], "lenet5", setid, p["levels"], splits, SeriesSettings.from_params(p), directions)


@pytest.fixture(scope="module")
def source():
    torch.manual_seed(0)
    return build_model("lenet5", 1, K, 28).eval()


def test_provider_lists_every_series_with_readable_ids():
    sets = _sets(_config())
    ids = {(s.series, s.setid) for s in sets}
    assert {("rq1_gaussian", "L0"), ("rq1_gaussian", "L1.5"), ("rq2_fgsm", "L6"), ("rq3_imbalance", "CI0.25"),
            ("rq4_label_error", "LD0.5"), ("rq5_dual", "G2_A3"), ("rq6_four", "run25")} <= ids
    assert sum(s.series == "rq6_four" for s in sets) == 25 and sum(s.series == "rq5_dual" for s in sets) == 4
    (g2a3,) = [s for s in sets if (s.arch, s.series, s.setid) == ("lenet5", "rq5_dual", "G2_A3")]
    assert set_factors(g2a3.params) == {
        "gaussian": 2.0, "fgsm": 3.0, "inverse_fgsm": 0.0, "imbalance": 0.0, "label_error": 0.0}


@pytest.mark.parametrize("series", ["rq1_gaussian", "rq2_fgsm", "rq5_dual"])
def test_every_stored_sample_meets_its_level_on_the_same_base_images(series, source):
    cfg, splits = _config(), _splits()
    directions = _directions(cfg, series, splits, source)
    sets = _sets(cfg, series)
    first = None
    for ts in sets:
        payload = _set(cfg, series, ts.setid, splits, directions)
        for comp in payload["components"]:
            x = splits.train.images[comp["index"]]
            achieved = perturbation_l2(x, apply_scale(x, comp["direction"], comp["scale"]))
            assert (achieved - comp["level"]).abs().max() <= TOLERANCE
            assert torch.bincount(splits.train.labels[comp["index"]], minlength=K).tolist() == [
                cfg["series"][series]["per_class"]] * K
        key = [c["index"] for c in payload["components"]]
        first = first or key
        assert all(torch.equal(a, b) for a, b in zip(first, key, strict=True))  # same base images at every level
        assert payload["labels"].numel() == len(splits.train) + K * cfg["series"][series]["per_class"] * len(key)


def test_inverse_fgsm_is_minus_fgsm(source):
    cfg, splits = _config(), _splits()
    fgsm = _directions(cfg, "rq2_fgsm", splits, source)["components"]["fgsm"]
    inv = _directions(cfg, "rq2_inverse_fgsm", splits, source)["components"]["inverse_fgsm"]
    assert torch.equal(fgsm["index"], inv["index"])
    assert torch.equal(inv["direction"], -fgsm["direction"]) and fgsm["direction"].dtype == torch.int8


def test_regenerating_a_set_gives_the_same_sha256_and_materialize_round_trips(tmp_path, source):
    cfg, splits = _config(), _splits()
    paths, shas = [], []
    for i in range(2):
        directions = _directions(cfg, "rq1_gaussian", splits, None)
        payload = _set(cfg, "rq1_gaussian", "L1.5", splits, directions)
        paths.append(tmp_path / f"set{i}.pt")
        save_tensors(paths[-1], payload)
        shas.append((payload["sha256"], payload["content_sha256"]))
    assert shas[0] == shas[1]
    assert sha256_file(paths[0]) == sha256_file(paths[1])
    pool = materialize(paths[0], splits)
    assert len(pool) == payload["labels"].numel() and pool.images.dtype == torch.float32
    n_base = payload["base_index"].numel()
    assert torch.equal(pool.images[:n_base], splits.train.images)
    added = pool.images[n_base:]
    assert ((perturbation_l2(splits.train.images[payload["components"][0]["index"]], added) - 1.5).abs()
            <= TOLERANCE).all()
    summary = summarize_set(payload, paths[0])
    assert summary["components"][0]["max_abs_l2_error"] <= TOLERANCE and summary["size"] == len(pool)
    other = copy.deepcopy(splits)
    other.train.images[0, 0, 0, 0] += 0.5
    with pytest.raises(DataError, match="different training split"):
        materialize(paths[0], other)


def test_four_factor_sets_have_exact_imbalance_and_label_errors(source):
    cfg, splits = _config(), _splits(per_class=20)
    directions = _directions(cfg, "rq6_four", splits, source)
    for ts in _sets(cfg, "rq6_four"):
        payload = _set(cfg, "rq6_four", ts.setid, splits, directions)
        p = ts.params
        true_counts = torch.bincount(payload["true_labels"], minlength=K)
        major = int(torch.argmax(true_counts))
        assert major == 0 and int(true_counts[0]) == 20 + 2 * 2
        assert all(int(true_counts[c]) == round((1 - p["imbalance"]) * 24) for c in range(1, K))
        assert torch.equal(torch.bincount(payload["labels"], minlength=K), true_counts)
        for c in range(K):
            wrong = int(((payload["true_labels"] == c) & (payload["labels"] != c)).sum())
            assert wrong == round(p["label_error"] * int(true_counts[c]))
        for comp in payload["components"]:
            assert comp["level"] == p[comp["kind"]]
            assert (comp["achieved_l2"] - comp["level"]).abs().max() <= TOLERANCE


def test_fgsm_series_without_source_model_is_a_clear_error():
    with pytest.raises(DataError, match="source model"):
        _directions(_config(), "rq2_fgsm", _splits(), None)


def test_directions_are_level_independent_so_adding_a_level_rebuilds_no_other_set(source):
    """The directions artifact holds no level or scale; a set's recipe is the same whatever other levels exist."""
    splits, few, many = _splits(), _config(), _config()
    few["series"]["rq2_fgsm"]["levels"] = [2.0]
    directions = [_directions(cfg, "rq2_fgsm", splits, source) for cfg in (few, many)]
    for d in directions:
        assert set(d) == {"format", "arch", "series", "per_class", "base_sha256", "components"}
        assert set(d["components"]["fgsm"]) == {"index", "labels", "direction", "resampled"}
    a, b = directions
    assert torch.equal(a["components"]["fgsm"]["direction"], b["components"]["fgsm"]["direction"])
    assert _set(few, "rq2_fgsm", "L2", splits, a)["sha256"] == _set(many, "rq2_fgsm", "L2", splits, b)["sha256"]
    assert _set(many, "rq2_fgsm", "L0.5", splits, b)["sha256"] != _set(many, "rq2_fgsm", "L2", splits, b)["sha256"]


def test_a_set_refuses_directions_built_from_other_splits(source):
    cfg = _config()
    directions = _directions(cfg, "rq1_gaussian", _splits(seed=1), None)
    with pytest.raises(DataError, match="other splits"):
        _set(cfg, "rq1_gaussian", "L1.5", _splits(), directions)
    with pytest.raises(DataError, match="directions artifact is needed"):
        _set(cfg, "rq1_gaussian", "L1.5", _splits(), None)
