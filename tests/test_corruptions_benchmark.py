"""Corruption benchmarks: seeded per cell, byte-stable, hashed, stored and checked like the equal-L2 benchmarks."""

from __future__ import annotations

import pytest
import torch

from perturbstudy.artifacts import load_tensors, save_tensors, sha256_tensors
from perturbstudy.corruptions.benchmark import (
    build_corruption_benchmark,
    load_corruption_benchmark,
    save_corruption_benchmark,
    suite_corruptions,
    suite_families,
)
from perturbstudy.corruptions.mnistc import mnistc_corruptions
from perturbstudy.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def clean():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(12, 1, 28, 28)
    x[:, :, 8:20, 10:18] = torch.rand(12, 1, 12, 8, generator=g)  # a blob in the middle, black around (digit-like)
    return (x * 255).round() / 255


def test_same_seed_same_bytes_other_seed_other_images(clean):
    a = build_corruption_benchmark(clean, "mnistc", ["shot_noise", "rotate"], [1, 3], seed=4)
    b = build_corruption_benchmark(clean, "mnistc", ["shot_noise", "rotate"], [1, 3], seed=4)
    c = build_corruption_benchmark(clean, "mnistc", ["shot_noise", "rotate"], [1, 3], seed=5)
    assert list(a.images) == [("shot_noise", 1), ("shot_noise", 3), ("rotate", 1), ("rotate", 3)]
    assert all(t.dtype == torch.uint8 and t.shape == clean.shape for t in a.images.values())
    assert a.sha256() == b.sha256() and all(torch.equal(a.images[k], b.images[k]) for k in a.images)
    assert a.sha256() != c.sha256()
    assert a.corruptions == ("shot_noise", "rotate") and a.severities == (1, 3)


def test_a_cell_does_not_depend_on_the_other_cells(clean):
    full = build_corruption_benchmark(clean, "mnistc", ["shot_noise", "rotate"], [1, 3], seed=4)
    alone = build_corruption_benchmark(clean, "mnistc", ["rotate"], [3], seed=4)
    assert torch.equal(full.images[("rotate", 3)], alone.images[("rotate", 3)])


def test_cells_are_the_corruptions_rounded_to_bytes(clean):
    bench = build_corruption_benchmark(clean, "mnistc", ["brightness"], [2], seed=0)
    expected = ((clean.double() + 0.2).clamp(0, 1).float() * 255).round().to(torch.uint8)  # float64, then float32
    assert torch.equal(bench.images[("brightness", 2)], expected)
    assert torch.allclose(bench.cell("brightness", 2), expected.float() / 255)
    with pytest.raises(DataError, match="no \\('brightness', severity 3\\)"):
        bench.cell("brightness", 3)


def test_the_content_hash_is_stable():
    """Pinned: brightness is plain arithmetic, so its bytes (and the hash over names and bytes) never change."""
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 1, 28, 28) % 256 / 255
    bench = build_corruption_benchmark(x, "mnistc", ["brightness"], [1, 5], seed=0)
    assert sha256_tensors(bench.images[("brightness", 1)]) == sha256_tensors(
        ((x.double() + 0.1).clamp(0, 1).float() * 255).round().to(torch.uint8))  # mnistc computes in float64
    assert bench.sha256() == "8591eec6bf36386e66a3ab2020b18442f115985bda2c7edd33f628d6e175ce4b"
    renamed = type(bench)(bench.suite, None, 0, {("other", s): t for (_, s), t in bench.images.items()})
    assert renamed.sha256() != bench.sha256()  # the cell names are part of the hash


def test_save_load_roundtrip_and_checks(clean, tmp_path):
    bench = build_corruption_benchmark(clean, "mnistc", ["impulse_noise", "fog"], [2, 4], seed=1)
    path = tmp_path / "mnistc.pt"
    summary = save_corruption_benchmark(path, bench, "testsha", {"source": "unit test"})
    assert summary["content_sha256"] == bench.sha256() and summary["test_sha256"] == "testsha"
    assert summary["corruptions"] == ["impulse_noise", "fog"] and summary["severities"] == [2, 4]
    assert summary["n"] == 12 and summary["shape"] == [1, 28, 28] and summary["seed"] == 1
    assert summary["suite"] == "mnistc" and summary["dataset"] is None and summary["source"] == "unit test"
    loaded = load_corruption_benchmark(path, "testsha")
    assert loaded.sha256() == bench.sha256() and list(loaded.images) == list(bench.images)
    assert loaded.suite == "mnistc" and loaded.dataset is None and loaded.seed == 1
    with pytest.raises(DataError, match="different test split"):
        load_corruption_benchmark(path, "othersha")
    payload = load_tensors(path)
    payload["images"][0][0, 0, 0, 0] += 1  # a flipped byte
    save_tensors(path, payload)
    with pytest.raises(DataError, match="content hash mismatch"):
        load_corruption_benchmark(path)
    save_tensors(path, {"format": "something else"})
    with pytest.raises(DataError, match="not a perturbstudy corruption benchmark"):
        load_corruption_benchmark(path)


def test_requests_are_checked(clean):
    with pytest.raises(ConfigError, match="choose one or more of"):
        build_corruption_benchmark(clean, "mnistc", ["stripe"])
    with pytest.raises(ConfigError, match="severities"):
        build_corruption_benchmark(clean, "mnistc", ["fog"], [0, 1])
    with pytest.raises(ConfigError, match="listed twice"):
        build_corruption_benchmark(clean, "mnistc", ["fog", "fog"], [1])
    with pytest.raises(ConfigError, match="unknown corruption suite"):
        build_corruption_benchmark(clean, "imagenetc")
    with pytest.raises(ConfigError, match="needs the MedMNIST dataset"):
        suite_corruptions("medmnistc")


def test_every_mnistc_corruption_is_in_one_family():
    families = suite_families("mnistc")
    members = [n for names in families.values() for n in names]
    assert sorted(members) == sorted(mnistc_corruptions()) and len(members) == len(set(members))
    assert suite_corruptions("mnistc") == mnistc_corruptions()
