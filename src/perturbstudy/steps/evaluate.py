"""Steps of workflow/rules/evaluate.smk."""

from __future__ import annotations

import time

from ..smk import Job


def evaluate(job: Job) -> None:
    """Every accuracy of each model of one group (train, clean test, both benchmarks, white-box) and its flags."""
    import pandas as pd

    from ..artifacts import sha256_tensors, write_csv, write_json
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..equal_l2.benchmarks import load_benchmark
    from ..perturbation.evaluation import EvalSettings, evaluate_model, sanity_flags
    from ..perturbation.imbalance import measured_imbalance
    from ..perturbation.series import FACTORS
    from ..perturbation.trainsets import training_pool
    from ..runtime import configure

    members = [m["step"] for m in job.params["members"]]
    inp, out = job.input, job.output
    device = configure(job.threads)
    splits = load_splits(inp.splits)
    test_hash = sha256_tensors(splits.test.images, splits.test.labels)
    gaussian, fgsm = load_benchmark(inp.gaussian, test_hash), load_benchmark(inp.fgsm, test_hash)
    trainsets = inp.get("trainsets") or [None] * len(members)
    for i, p in enumerate(members):
        settings = EvalSettings.from_params(p["whitebox"], p["batch_size"])
        model = load_model(inp.models[i], p["arch"], device)
        train_pool = training_pool(splits, trainsets[i])
        start = time.perf_counter()
        frame, grad_stats = evaluate_model(model, train_pool, splits.test, gaussian, fgsm, settings, progress=True)
        labels = {"model": f"{p['arch']}/{p['series']}/{p['setid']}/seed{p['seed']}", "architecture": p["arch"],
                  "series": p["series"], "set": p["setid"], "seed": int(p["seed"])}
        frame = pd.concat([pd.DataFrame([labels] * len(frame)), frame], axis=1)
        factors = dict(p["factors"])
        if p["series"] == "clean":  # the clean set sits at its own measured imbalance (RQ3's clean point)
            factors["imbalance"] = measured_imbalance(train_pool.labels, len(splits.class_names))
        for factor in FACTORS:  # the analysis columns, in their fixed order
            frame[factor] = float(factors[factor])
        flags = sanity_flags(frame, grad_stats, p["series"] == "clean", settings)
        flags.update(labels)
        print(f"{labels['model']}: evaluated in {time.perf_counter() - start:.1f} s; "
              f"{len(flags['warnings'])} sanity warning(s)", flush=True)
        for warning in flags["warnings"]:
            print(f"WARNING: {warning}", flush=True)
        write_csv(out.csvs[i], frame)
        write_json(out.flags[i], flags)
