"""Steps of workflow/rules/evaluate.smk."""

from __future__ import annotations

import time

from ..smk import Job


def evaluate(job: Job) -> None:
    """Every accuracy of each model of one group (train, clean test, both benchmarks, white-box) and its flags; the
    group's models see each benchmark batch at once (perturbation.evaluation.evaluate_models)."""
    import pandas as pd

    from ..artifacts import sha256_tensors, write_csv, write_json
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..equal_l2.benchmarks import load_benchmark
    from ..perturbation.evaluation import EvalSettings, evaluate_models, sanity_flags
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
    settings = EvalSettings.from_params(members[0]["whitebox"], members[0]["batch_size"])
    models = [load_model(path, p["arch"], device) for path, p in zip(inp.models, members, strict=True)]
    pools = [training_pool(splits, path) for path in trainsets]
    start = time.perf_counter()
    results = evaluate_models(models, pools, splits.test, gaussian, fgsm, settings, progress=True)
    print(f"{len(models)} model(s) evaluated in {time.perf_counter() - start:.1f} s", flush=True)
    for i, (p, pool, (frame, grad_stats)) in enumerate(zip(members, pools, results, strict=True)):
        labels = {"model": f"{p['arch']}/{p['series']}/{p['setid']}/seed{p['seed']}", "architecture": p["arch"],
                  "series": p["series"], "set": p["setid"], "seed": int(p["seed"])}
        frame = pd.concat([pd.DataFrame([labels] * len(frame)), frame], axis=1)
        factors = dict(p["factors"])
        if p["series"] == "clean":  # the clean set sits at its own measured imbalance (RQ3's clean point)
            factors["imbalance"] = measured_imbalance(pool.labels, len(splits.class_names))
        for factor in FACTORS:  # the analysis columns, in their fixed order
            frame[factor] = float(factors[factor])
        flags = sanity_flags(frame, grad_stats, p["series"] == "clean", settings)
        flags.update(labels)
        print(f"{labels['model']}: {len(flags['warnings'])} sanity warning(s)", flush=True)
        for warning in flags["warnings"]:
            print(f"WARNING: {warning}", flush=True)
        write_csv(out.csvs[i], frame)
        write_json(out.flags[i], flags)
