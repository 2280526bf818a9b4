"""The medical_prepare_data step: DermaMNIST loading and the paper's 3-class subset on a synthetic MedMNIST npz,
the medical section's input checks, and the ablation's own runs, table and figure (medical.ablation)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from perturbstudy.config import validate_config
from perturbstudy.contract import step_params
from perturbstudy.data import DERMAMNIST_CLASSES, load_splits
from perturbstudy.errors import ConfigError
from perturbstudy.smk import Files, Job
from perturbstudy.steps.medical import medical_prepare_data

PAPER_CLASSES = [4, 2, 5]


def _write_dermamnist(path, per_class=(3, 4, 30, 2, 25, 40, 3)):
    """A MedMNIST-format npz: {train,val,test}_{images,labels}, uint8 HWC images, (N, 1) labels."""
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.full(n, c) for c, n in enumerate(per_class)])
    rng.shuffle(labels)
    images = rng.integers(0, 256, size=(labels.size, 28, 28, 3), dtype=np.uint8)
    images[..., 0] = labels[:, None, None] * 30  # the red channel encodes the label (checks pairing)
    cut = np.array_split(np.arange(labels.size), [labels.size * 7 // 10, labels.size * 8 // 10])
    arrays = {}
    for split, idx in zip(("train", "val", "test"), cut, strict=True):
        arrays[f"{split}_images"] = images[idx]
        arrays[f"{split}_labels"] = labels[idx].reshape(-1, 1).astype(np.uint8)
    np.savez(path, **arrays)
    return per_class


def _medical_config(npz):
    return {"study": "t", "seeds": [0], "dataset": {"name": "mnist5k"},
            "architectures": {"lenet5": {"train": {}}},
            "medical": {"dataset": {"name": "dermamnist", "root": str(npz), "classes": PAPER_CLASSES,
                                    "pool_all": True, "train_per_class": 12, "test_per_class": 8,
                                    "val_per_class": 3},
                        "architectures": {"squeezenet": {"train": {}}}}}


def test_paper_subset_from_a_synthetic_dermamnist_npz(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    per_class = _write_dermamnist(npz)
    config = validate_config(_medical_config(npz))
    params = step_params("medical_prepare_data", config, {})
    assert params["dataset"]["name"] == "dermamnist"  # the medical section's dataset, not the study's
    medical_prepare_data(Job(params, output=Files({"splits": str(tmp_path / "splits.pt"),
                                                  "summary": str(tmp_path / "splits.json")})))
    splits = load_splits(tmp_path / "splits.pt")
    assert splits.class_names == tuple(DERMAMNIST_CLASSES[c] for c in PAPER_CLASSES)
    assert splits.class_names == ("melanoma", "benign keratosis-like lesions", "melanocytic nevi")
    # test first (8 per class from all splits), then a balanced validation split (3), then train capped at 12
    assert torch.bincount(splits.test.labels).tolist() == [8, 8, 8]
    assert torch.bincount(splits.val.labels).tolist() == [3, 3, 3]
    expected_train = [min(12, per_class[c] - 8 - 3) for c in PAPER_CLASSES]
    assert torch.bincount(splits.train.labels).tolist() == expected_train
    for pool in (splits.train, splits.val, splits.test):
        assert pool.images.shape[1:] == (3, 28, 28) and pool.images.dtype == torch.float32
        original = torch.tensor(PAPER_CLASSES)[pool.labels]
        assert torch.allclose(pool.images[:, 0, 0, 0] * 255, original.float() * 30)
    summary = json.loads((tmp_path / "splits.json").read_text())
    assert summary["counts"]["test"] == [8, 8, 8]


def test_missing_dermamnist_is_a_config_error_naming_the_medical_key(tmp_path):
    config = _medical_config(tmp_path / "nowhere.npz")
    with pytest.raises(ConfigError, match="medical.dataset.root"):
        validate_config(config)


def test_inconsistent_medical_settings_are_rejected(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = _medical_config(npz)
    config["medical"]["table2_attack"] = "99-PGD"
    with pytest.raises(ConfigError, match="table2_attack"):
        validate_config(config)


def test_ablation_section_gives_its_runs_their_own_training_settings(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = _medical_config(npz)
    config["medical"]["architectures"]["mobilenetv2"] = {"train": {"batch_size": 32, "max_epochs": 50, "lr": 3e-4}}
    config["medical"]["ablation"] = {"architectures": ["mobilenetv2"], "train": {"batch_size": 64, "max_epochs": 100}}
    config = validate_config(config)
    assert config["medical"]["ablation"]["methods"] == ["at", "da", "db", "dpaat"]  # the paper's Fig. 3 default
    wc = {"arch": "mobilenetv2", "method": "db", "seed": "0"}
    main, ablation = step_params("medical_train", config, wc), step_params("medical_ablation_train", config, wc)
    assert (main["train"]["batch_size"], main["train"]["max_epochs"]) == (32, 50)
    assert (ablation["train"]["batch_size"], ablation["train"]["max_epochs"]) == (64, 100)
    # every other key of the run (lr, model, the method's training settings) is the CNN's own
    assert {**ablation, "train": None} == {**main, "train": None}
    assert {k: v for k, v in ablation["train"].items() if k not in ("batch_size", "max_epochs")} == \
        {k: v for k, v in main["train"].items() if k not in ("batch_size", "max_epochs")}
    assert ablation["train"]["lr"] == 3e-4
    # the ablation's epochs reach the ablation runs only
    config["medical"]["ablation"]["train"]["max_epochs"] = 7
    assert step_params("medical_train", config, wc) == main
    assert step_params("medical_ablation_train", config, wc)["train"]["max_epochs"] == 7
    table = step_params("medical_ablation_table", config, {})
    assert (table["archs"], table["methods"], table["attack"]) == (["mobilenetv2"], ["at", "da", "db", "dpaat"],
                                                                  "20-PGD")


def test_ablation_settings_are_checked(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = _medical_config(npz)
    config["medical"]["ablation"] = {"architectures": ["resnet34"]}
    with pytest.raises(ConfigError, match=r"medical.ablation.architectures: \['resnet34'\] are not in "
                                          r"medical.architectures"):
        validate_config(config)
    config["medical"]["ablation"] = {"architectures": ["squeezenet"], "train": {"batch": 64}}
    with pytest.raises(ConfigError, match="medical.ablation.train.batch"):
        validate_config(config)
    config = _medical_config(npz)
    config["medical"]["ablation_architectures"] = ["squeezenet"]  # the key this section replaced
    with pytest.raises(ConfigError, match=r"medical.ablation_architectures: replaced by .*medical.ablation"):
        validate_config(config)


def test_ablation_table_and_figure_from_the_ablation_runs(tmp_path):
    from perturbstudy.steps.medical import medical_ablation_figure, medical_ablation_table

    paths = []
    for arch in ("resnet34", "mobilenetv2"):
        for method, label in (("at", "AT"), ("da", "D-A"), ("db", "D-B"), ("dpaat", "DPAAT")):
            for seed in (0, 1):
                path = tmp_path / f"{arch}_{method}_{seed}.csv"
                accuracy = {"clean": 0.8 + 0.01 * seed, "FGSM": 0.5, "20-PGD": 0.4 + 0.02 * seed}
                rows = [{"architecture": arch, "method": label, "seed": seed, "testset": testset, "accuracy": acc}
                        for testset, acc in accuracy.items()]
                pd.DataFrame(rows).to_csv(path, index=False)
                paths.append(str(path))
    params = {"attack": "20-PGD", "archs": ["resnet34", "mobilenetv2"], "methods": ["at", "da", "db", "dpaat"],
              "stats": {"confidence": 0.95}}
    out = Files({"csv": str(tmp_path / "ablation.csv"), "md": str(tmp_path / "ablation.md")})
    medical_ablation_table(Job(params, input=Files({"metrics": paths}), output=out))
    table = pd.read_csv(out.csv)
    assert list(table.columns) == ["architecture", "method", "n_seeds", "GAcc", "GAcc_ci_low", "GAcc_ci_high",
                                   "RAcc 20-PGD", "RAcc 20-PGD_ci_low", "RAcc 20-PGD_ci_high"]
    assert list(zip(table.architecture, table.method, strict=True)) == [
        (a, m) for a in ("resnet34", "mobilenetv2") for m in ("AT", "D-A", "D-B", "DPAAT")]  # config order
    assert np.allclose(table["GAcc"], 80.5) and np.allclose(table["RAcc 20-PGD"], 41.0)
    assert (table["n_seeds"] == 2).all() and (table["RAcc 20-PGD_ci_low"] < 41.0).all()
    assert "Ablation runs" in (tmp_path / "ablation.md").read_text()
    png = tmp_path / "ablation.png"
    medical_ablation_figure(Job({}, input=Files({"ablation": out.csv}), output=Files({}, [str(png)])))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_writes_each_images_prediction_and_tables_compare_methods_on_them(tmp_path):
    import pandas as pd

    from perturbstudy.checkpoints import save_model
    from perturbstudy.models import build_model
    from perturbstudy.steps.medical import medical_evaluate, medical_tables

    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = _medical_config(npz)
    config["medical"].update({"architectures": {"lenet5": {"train": {}}}, "methods": ["std", "dpaat"],
                              "attacks": [{"name": "FGSM", "kind": "fgsm", "eps": 0.05}], "table2_attack": "FGSM",
                              "gradcam": {"methods": ["std"]}})
    config["analysis"] = {"alpha": 0.01, "confidence": 0.9}
    config = validate_config(config)
    splits_path = tmp_path / "splits.pt"
    medical_prepare_data(Job(step_params("medical_prepare_data", config, {}),
                             output=Files({"splits": str(splits_path), "summary": str(tmp_path / "splits.json")})))
    y = load_splits(splits_path).test.labels.numpy()
    runs = [(m, s) for m in ("std", "dpaat") for s in (0, 1)]
    outputs = {}
    for k, (method, seed) in enumerate(runs):
        torch.manual_seed(k)
        model_path = tmp_path / f"{method}{seed}.pt"
        save_model(model_path, build_model("lenet5", 3, 3, 28), "lenet5", 3, 3, 28, {})
        out = {name: str(tmp_path / f"{method}{seed}_{name}.csv") for name in ("metrics", "confusion", "predictions")}
        params = step_params("medical_evaluate", config, {"arch": "lenet5", "method": method, "seed": str(seed)})
        medical_evaluate(Job(params, input=Files({"model": str(model_path), "splits": str(splits_path)}),
                             output=Files(out)))
        outputs[(method, seed)] = out
        preds = pd.read_csv(out["predictions"])
        assert list(preds.columns) == ["architecture", "method", "seed", "testset", "index", "label", "pred"]
        assert len(preds) == 2 * len(y) and set(preds.testset) == {"clean", "FGSM"}
        metrics = pd.read_csv(out["metrics"]).set_index("testset")
        for testset, rows in preds.groupby("testset"):
            assert rows["index"].tolist() == list(range(len(y))) and (rows["label"].to_numpy() == y).all()
            assert (rows.pred == rows.label).mean() == pytest.approx(metrics.loc[testset, "accuracy"])
    params = step_params("medical_tables", config, {})
    assert params["stats"] == {"alpha": 0.01, "confidence": 0.9}  # the analysis section's, through the params
    names = ("table1_csv", "table1_md", "table2_csv", "table2_md", "comparisons_csv", "comparisons_md")
    out = {name: str(tmp_path / f"{name}.{name.rsplit('_', 1)[1]}") for name in names}
    medical_tables(Job(params, input=Files({"metrics": [o["metrics"] for o in outputs.values()],
                                            "predictions": [o["predictions"] for o in outputs.values()]}),
                       output=Files(out)))
    table = pd.read_csv(out["comparisons_csv"])
    assert table[["testset", "method", "baseline"]].values.tolist() == [["clean", "DPAAT", "STD"],
                                                                       ["FGSM", "DPAAT", "STD"]]
    assert (table.n_pairs == 2 * len(y)).all() and (table.n_seeds == 2).all()
    t1 = pd.read_csv(out["table1_csv"]).set_index("method")
    assert table.acc_method.iloc[0] == pytest.approx(t1.loc["DPAAT", "GAcc"])
    assert table.acc_baseline.iloc[1] == pytest.approx(t1.loc["STD", "FGSM"])
    assert table.verdict.isin(["DPAAT better (significant)", "DPAAT worse (significant)",
                               "no significant difference", "not testable here (too few discordant pairs)"]).all()
    assert "alpha = 0.01" in open(out["comparisons_md"]).read()
    assert "90% t-interval across seeds" in open(out["table1_md"]).read()


def test_pretrained_cnn_trains_after_the_head_warmup_and_evaluates_without_the_weights_file(tmp_path):
    """A local ImageNet file and `head_warmup_epochs` reach medical_train through its params; the history marks the
    warm-up; the checkpoint rebuilds without the file (the weights are in its state dict)."""
    import torchvision

    from perturbstudy.checkpoints import load_model
    from perturbstudy.steps.medical import medical_train

    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    weights = tmp_path / "squeezenet1_1.pth"
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), weights)
    config = _medical_config(npz)
    config["medical"]["architectures"]["squeezenet"] = {
        "model": {"weights": str(weights)}, "head_warmup_epochs": 1,
        "train": {"batch_size": 16, "max_epochs": 1, "patience": 1}}
    config["medical"]["training"] = {"adversary": {"eps": 0.5, "step_size": 0.25, "steps": 2}}
    config = validate_config(config)
    splits = tmp_path / "splits.pt"
    medical_prepare_data(Job(step_params("medical_prepare_data", config, {}),
                             output=Files({"splits": str(splits), "summary": str(tmp_path / "splits.json")})))
    params = step_params("medical_train", config, {"arch": "squeezenet", "method": "at", "seed": "0"})
    assert params["head_warmup_epochs"] == 1 and params["model"] == {"weights": str(weights)}
    out = Files({"model": str(tmp_path / "model.pt"), "history": str(tmp_path / "history.csv")})
    resume = tmp_path / "resume" / "seed0.pt"
    medical_train(Job({**params, "resume": str(resume)}, input=Files({"splits": str(splits)}), output=out))
    history = pd.read_csv(out.history)
    assert history[["epoch", "phase"]].values.tolist() == [[1, "warmup"], [2, "full"]]
    assert not resume.exists() and not (tmp_path / "resume" / "seed0.pt.warmup").exists()
    weights.unlink()  # evaluation machines need not have it
    model = load_model(out.model, "squeezenet")
    assert model(torch.rand(2, 3, 28, 28)).shape == (2, 3)
    payload = torch.load(out.model, weights_only=True)
    assert json.loads(payload["model_kwargs"]) == {}
    assert json.loads(payload["extra"])["weights"] == str(weights)
    assert json.loads(payload["extra"])["head_warmup_epochs"] == 1


def test_pretrained_settings_are_checked_and_carried_only_when_set(tmp_path):
    npz = tmp_path / "dermamnist.npz"
    _write_dermamnist(npz)
    config = validate_config(_medical_config(npz))
    assert "head_warmup_epochs" not in step_params("medical_train", config, {"arch": "squeezenet", "method": "std",
                                                                              "seed": "0"})
    config = _medical_config(npz)
    config["medical"]["architectures"]["squeezenet"]["model"] = {"weights": str(tmp_path / "nowhere.pth")}
    with pytest.raises(ConfigError, match=r"medical.architectures.squeezenet.model.weights: .*nowhere.pth is not a "
                                          r"file.*imagenet"):
        validate_config(config)
    config["medical"]["architectures"]["squeezenet"]["model"] = {"weights": "imagenet"}  # checked when built
    validate_config(config)
    for lenet in ({"model": {"weights": "imagenet"}}, {"head_warmup_epochs": 10}):
        config = _medical_config(npz)
        config["medical"]["architectures"]["lenet5"] = {"train": {}, **lenet}
        with pytest.raises(ConfigError, match="medical.architectures.lenet5: lenet5 has no pretrained weights"):
            validate_config(config)
