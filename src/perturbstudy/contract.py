"""The config contract: the exact config subset each rule's step reads, as that rule's `step` param.

`step_params(rule, config, wildcards)` is the one place that selects from the whole config; the rules
call it through common.smk's `get_step_params`, and `perturbstudy audit --configfile` calls it to
tell whether an artifact was made with the config at hand. Torch-free: Snakemake evaluates it at parse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .perturbation.grid import set_factors, training_sets
from .perturbation.series import SPECS, factor_levels
from .provenance import canonical_params
from .robust_training.settings import DATASET_METHODS, METHOD_SETTINGS, ablation_train
from .segmentation.variants import SIGN_VARIANTS

Config = Mapping[str, Any]
Wildcards = Mapping[str, str]
STATS_KEYS = ("bootstrap_resamples", "seed", "confidence", "alpha")


def _set_levels(config: Config, arch: str, series: str, setid: str) -> dict[str, float]:
    for ts in training_sets(list(config["architectures"]), config.get("series")):
        if (ts.arch, ts.series, ts.setid) == (arch, series, setid):
            return dict(ts.params)
    raise KeyError(f"no training set {arch}/{series}/{setid} in this config")


def _pick(section: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    section = section or {}
    return {k: section[k] for k in keys if k in section}


def _medical(config: Config) -> Mapping[str, Any]:
    return config.get("medical") or {}


def prepare_data(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"dataset": config["dataset"], "data_seed": config["data_seed"]}


def trainset_directions(config: Config, wc: Wildcards) -> dict[str, Any]:
    spec, cfg = SPECS[wc["series"]], config["series"][wc["series"]]
    out = {"arch": wc["arch"], "series": spec.name, "per_class": cfg["per_class"],
           "seed": config["series"].get("seed", 0)}
    if "gaussian" in spec.factors:  # noise is redrawn for samples that cannot reach the largest level
        out["gaussian_reach"] = max(factor_levels(cfg, spec.name, "gaussian"))
    return out


def trainset(config: Config, wc: Wildcards) -> dict[str, Any]:
    spec, cfg = SPECS[wc["series"]], config["series"][wc["series"]]
    out = {"arch": wc["arch"], "series": spec.name, "setid": wc["setid"],
           "levels": _set_levels(config, wc["arch"], spec.name, wc["setid"]), "seed": config["series"].get("seed", 0)}
    if spec.image_factors:
        out["per_class"] = cfg["per_class"]
    if "imbalance" in spec.factors:
        out["majority_class"] = cfg.get("majority_class")
    return out


def train(config: Config, wc: Wildcards) -> dict[str, Any]:
    arch = config["architectures"][wc["arch"]]
    return {"arch": wc["arch"], "seed": int(wc["seed"]), "model": arch.get("model") or {}, "train": arch["train"],
            "tag": f"{wc['series']}/{wc['setid']}"}


def benchmark_gaussian(config: Config, wc: Wildcards) -> dict[str, Any]:
    return _pick(config["benchmarks"], ("levels", "gaussian_seed"))


def benchmark_fgsm(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"arch": wc["arch"], **_pick(config["benchmarks"], ("levels", "batch_size"))}


def evaluate(config: Config, wc: Wildcards) -> dict[str, Any]:
    levels = {} if wc["series"] == "clean" else _set_levels(config, wc["arch"], wc["series"], wc["setid"])
    return {"arch": wc["arch"], "series": wc["series"], "setid": wc["setid"], "seed": int(wc["seed"]),
            "factors": set_factors(levels), "batch_size": config["benchmarks"]["batch_size"],
            "whitebox": config["whitebox"]}


def analysis_summary(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {}


def analysis_single_factor(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"series": wc["series"], "stats": _pick(config["analysis"], STATS_KEYS)}


analysis_segments = analysis_single_factor


def analysis_dual(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"series": "rq5_dual", "stats": _pick(config["analysis"], STATS_KEYS)}


def analysis_orthogonal(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"series": "rq6_four", "stats": _pick(config["analysis"], STATS_KEYS)}


def analysis_level_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"level_curve_models": config["analysis"].get("level_curve_models")}


def analysis_findings(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"study": config["study"], "stats": _pick(config["analysis"], STATS_KEYS),
            "thresholds": _pick(config["analysis"], ("robust_accuracy", "tolerance"))}


def provenance_summary(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {}


def medical_prepare_data(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"dataset": _medical(config)["dataset"], "data_seed": config["data_seed"]}


def _medical_run(med: Mapping[str, Any], wc: Wildcards, train: Mapping[str, Any]) -> dict[str, Any]:
    arch = med["architectures"][wc["arch"]]
    # the MedMNIST-C policy draws the dataset's corruptions: only its methods carry the dataset's name
    dataset = {"dataset": med["dataset"]["name"]} if wc["method"] in DATASET_METHODS else {}
    return {"arch": wc["arch"], "method": wc["method"], "seed": int(wc["seed"]), "model": arch.get("model") or {},
            "train": train, "training": _pick(med.get("training"), METHOD_SETTINGS[wc["method"]]),
            **_pick(arch, ("head_warmup_epochs",)), **dataset}  # only when set: configs without it keep their params


def medical_train(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    return _medical_run(med, wc, med["architectures"][wc["arch"]]["train"])


def medical_ablation_train(config: Config, wc: Wildcards) -> dict[str, Any]:
    """An ablation run: medical_train's params with the CNN's train settings overridden by medical.ablation.train."""
    med = _medical(config)
    return _medical_run(med, wc, ablation_train(med, wc["arch"]))


def medical_evaluate(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    return {"arch": wc["arch"], "method": wc["method"], "seed": int(wc["seed"]), "attacks": med["attacks"],
            "eval_batch_size": med["eval_batch_size"]}


medical_ablation_evaluate = medical_evaluate  # an ablation model, the same evaluation


def medical_tables(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    methods = list(med.get("methods", []))
    return {"attacks": [a["name"] for a in med.get("attacks", [])], "table2_attack": med.get("table2_attack"),
            "archs": list(med.get("architectures", {})), "methods": methods,
            "stats": _pick(config.get("analysis"), ("confidence", "alpha"))}  # intervals and the paired tests


def medical_ablation_table(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    ablation = med.get("ablation") or {}
    return {"attack": med.get("table2_attack"), "archs": list(ablation.get("architectures", [])),
            "methods": list(ablation.get("methods", [])),
            "stats": _pick(config.get("analysis"), ("confidence",))}  # its intervals, as Tables I/II's


def medical_ablation_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {}


def medical_confusion_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"arch": wc["arch"], "attack": _medical(config).get("table2_attack")}


def medical_gradcam(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    gradcam = med.get("gradcam", {})
    return {"arch": wc["arch"], "methods": [m for m in gradcam.get("methods", []) if m in med.get("methods", [])],
            "per_class": gradcam.get("per_class"), "eval_batch_size": med["eval_batch_size"]}


def _suite(config: Config) -> dict[str, Any]:
    """The corruption suite, and for MedMNIST-C the medical dataset whose corruptions it uses."""
    med = _medical(config)
    suite = med["corruptions"]["suite"]
    return {"suite": suite, **({"dataset": med["dataset"]["name"]} if suite == "medmnistc" else {})}


def corruption_benchmark(config: Config, wc: Wildcards) -> dict[str, Any]:
    corr = _medical(config)["corruptions"]
    return {**_suite(config), "corruption": wc["corruption"], "severities": sorted(corr["severities"]),
            "seed": corr["seed"]}


def corruption_evaluate(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"arch": wc["arch"], "method": wc["method"], "seed": int(wc["seed"]),
            "eval_batch_size": _medical(config)["eval_batch_size"]}


def corruption_tables(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    return {"attacks": [a["name"] for a in med.get("attacks", [])], "archs": list(med.get("architectures", {})),
            "methods": list(med.get("methods", [])), "suite": med["corruptions"]["suite"],
            "stats": _pick(config.get("analysis"), ("confidence",))}


def corruption_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {**_suite(config), "methods": list(_medical(config).get("methods", []))}


def rtda_claims(config: Config, wc: Wildcards) -> dict[str, Any]:
    med = _medical(config)
    return {"table2_attack": med.get("table2_attack"), "archs": list(med.get("architectures", {})),
            "methods": list(med.get("methods", [])), "suite": med["corruptions"]["suite"],
            "stats": _pick(config.get("analysis"), ("confidence", "alpha"))}


def study_corruption_benchmark(config: Config, wc: Wildcards) -> dict[str, Any]:
    corr = config["corruptions"]
    return {"suite": corr["suite"], "corruption": wc["corruption"], "severities": sorted(corr["severities"]),
            "seed": corr["seed"]}


def study_corruption_evaluate(config: Config, wc: Wildcards) -> dict[str, Any]:
    """Every model of the seed: its training set's factor levels label its rows."""
    members = [{"arch": ts.arch, "series": ts.series, "setid": ts.setid, "factors": set_factors(ts.params)}
               for ts in training_sets(list(config["architectures"]), config.get("series"))]
    return {"seed": int(wc["seed"]), "models": members, "batch_size": config["benchmarks"]["batch_size"]}


def study_corruption_tables(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"stats": _pick(config.get("analysis"), ("confidence",))}


def study_corruption_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {}


def _segmentation(config: Config) -> Mapping[str, Any]:
    return config.get("segmentation") or {}


def segmentation_prepare_data(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"dataset": _segmentation(config)["dataset"], "data_seed": config["data_seed"]}


def segmentation_train(config: Config, wc: Wildcards) -> dict[str, Any]:
    seg, variant = _segmentation(config), wc["variant"]
    out = {"variant": variant, "seed": int(wc["seed"]), "model": seg["model"], "train": seg["train"],
           "checkpoints": seg["checkpoints"]}
    if variant != "none":  # the share of copies; eps only for the sign variants
        keys = ("share", "eps") if variant in SIGN_VARIANTS else ("share",)
        out["augmentation"] = _pick(seg["augmentation"], keys)
    return out


def segmentation_evaluate(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"variant": wc["variant"], "seed": int(wc["seed"]), "robustness": _segmentation(config)["robustness"]}


def segmentation_tables(config: Config, wc: Wildcards) -> dict[str, Any]:
    return {"variants": list(_segmentation(config)["variants"]),
            "stats": _pick(config.get("analysis"), ("confidence", "alpha"))}


def segmentation_figure(config: Config, wc: Wildcards) -> dict[str, Any]:
    seg = _segmentation(config)
    return {"images": seg["figure"]["images"], "eps": seg["augmentation"]["eps"]}


RULES: dict[str, Callable[[Config, Wildcards], dict[str, Any]]] = {
    "prepare_data": prepare_data,
    "trainset_directions": trainset_directions,
    "trainset": trainset,
    "train": train,
    "benchmark_gaussian": benchmark_gaussian,
    "benchmark_fgsm": benchmark_fgsm,
    "evaluate": evaluate,
    "analysis_summary": analysis_summary,
    "analysis_single_factor": analysis_single_factor,
    "analysis_segments": analysis_segments,
    "analysis_dual": analysis_dual,
    "analysis_orthogonal": analysis_orthogonal,
    "analysis_level_figure": analysis_level_figure,
    "analysis_findings": analysis_findings,
    "provenance_summary": provenance_summary,
    "medical_prepare_data": medical_prepare_data,
    "medical_train": medical_train,
    "medical_evaluate": medical_evaluate,
    "medical_tables": medical_tables,
    "medical_ablation_train": medical_ablation_train,
    "medical_ablation_evaluate": medical_ablation_evaluate,
    "medical_ablation_table": medical_ablation_table,
    "medical_ablation_figure": medical_ablation_figure,
    "medical_confusion_figure": medical_confusion_figure,
    "medical_gradcam": medical_gradcam,
    "corruption_benchmark": corruption_benchmark,
    "corruption_evaluate": corruption_evaluate,
    "corruption_tables": corruption_tables,
    "corruption_figure": corruption_figure,
    "rtda_claims": rtda_claims,
    "study_corruption_benchmark": study_corruption_benchmark,
    "study_corruption_evaluate": study_corruption_evaluate,
    "study_corruption_tables": study_corruption_tables,
    "study_corruption_figure": study_corruption_figure,
    "segmentation_prepare_data": segmentation_prepare_data,
    "segmentation_train": segmentation_train,
    "segmentation_evaluate": segmentation_evaluate,
    "segmentation_tables": segmentation_tables,
    "segmentation_figure": segmentation_figure,
}


# The module under perturbstudy.steps holding each rule's step (one module per workflow/rules/*.smk file).
STEP_MODULE: dict[str, str] = {
    **dict.fromkeys(("prepare_data",), "data"),
    **dict.fromkeys(("trainset_directions", "trainset"), "trainsets"),
    **dict.fromkeys(("train",), "train"),
    **dict.fromkeys(("benchmark_gaussian", "benchmark_fgsm"), "benchmarks"),
    **dict.fromkeys(("evaluate",), "evaluate"),
    **dict.fromkeys([r for r in RULES if r.startswith("analysis_")], "analysis"),
    **dict.fromkeys([r for r in RULES if r.startswith("medical_")], "medical"),
    **dict.fromkeys([*(r for r in RULES if r.startswith(("corruption_", "study_corruption_"))), "rtda_claims"],
                    "corruptions"),
    **dict.fromkeys([r for r in RULES if r.startswith("segmentation_")], "segmentation"),
    **dict.fromkeys(("provenance_summary",), "report"),
}


def step_params(rule: str, config: Config, wildcards: Wildcards) -> dict[str, Any]:
    """The `step` param of one job of `rule`: the config subset its step reads, keys in canonical order."""
    if rule not in RULES:
        raise KeyError(f"no step params defined for rule {rule!r}; add a function to perturbstudy.contract")
    return canonical_params(RULES[rule](config, dict(wildcards)))


def group_step_params(rule: str, config: Config, members: list[Wildcards]) -> dict[str, Any]:
    """The `step` param of a group job that runs `rule`'s step for several models: each model's own step params
    and wildcards (its provenance record holds them), so the group reruns when any member's params change."""
    # keys in canonical order, but each member's wildcards in the rule's order: they name its record's path
    return {"members": [{"step": step_params(rule, config, m), "wildcards": dict(m)} for m in members],
            "rule": rule}
