"""Steps of workflow/rules/corruptions.smk: the medical runs under distribution shift (`medical.corruptions`), the
RTDA abstract's claim, and the MNIST study's models under MNIST-C (top-level `corruptions`)."""

from __future__ import annotations

import time

from ..smk import Job


def corruption_benchmark(job: Job) -> None:
    """One corruption of the suite at every configured severity on the medical test split: seeded, hashed, one file
    per corruption, with a JSON summary."""
    _build_benchmark(job)


def study_corruption_benchmark(job: Job) -> None:
    """One MNIST-C corruption at every configured severity on the study's test split (top-level `corruptions`)."""
    _build_benchmark(job)


def _build_benchmark(job: Job) -> None:
    from ..artifacts import sha256_file, sha256_tensors, write_json
    from ..corruptions.benchmark import build_corruption_benchmark, save_corruption_benchmark
    from ..data import load_splits
    from ..runtime import configure

    configure(job.threads)
    p, test = job.params, load_splits(job.input.splits).test
    start = time.perf_counter()
    bench = build_corruption_benchmark(test.images, p["suite"], [p["corruption"]], [int(s) for s in p["severities"]],
                                       int(p["seed"]), p.get("dataset"), progress=True)
    print(f"{p['suite']} {p['corruption']} built in {time.perf_counter() - start:.1f} s", flush=True)  # log only
    summary = save_corruption_benchmark(job.output.bench, bench, sha256_tensors(test.images, test.labels), {})
    write_json(job.output.summary, {**summary, "file_sha256": sha256_file(job.output.bench)})


def corruption_evaluate(job: Job) -> None:
    """One medical model on every corruption and severity: accuracy per (corruption, severity) and each corrupted
    test image's prediction (for the paired tests of the claim)."""
    import pandas as pd

    from ..artifacts import sha256_tensors, write_csv
    from ..checkpoints import load_model
    from ..corruptions.benchmark import load_corruption_benchmark
    from ..data import load_splits
    from ..robust_training.comparisons import predictions_frame
    from ..robust_training.methods import METHOD_LABELS
    from ..robust_training.shift import corruption_frame
    from ..runtime import configure
    from ..train import predict

    p = job.params
    device = configure(job.threads)
    model = load_model(job.input.model, p["arch"], device)
    test = load_splits(job.input.splits).test
    test_sha = sha256_tensors(test.images, test.labels)
    labels = {"architecture": p["arch"], "method": METHOD_LABELS[p["method"]], "seed": int(p["seed"])}
    rows, frames, suite = [], [], None
    for path in job.input.benchmarks:
        bench = load_corruption_benchmark(path, test_sha)  # one corruption per file; freed before the next
        suite = bench.suite
        predictions = {}
        for corruption, severity in bench.images:
            pred = predict(model, bench.cell(corruption, severity), int(p["eval_batch_size"]), device)
            predictions[f"{corruption}/{severity}"] = pred.numpy()
            rows.append({"corruption": corruption, "severity": severity, "n": int(test.labels.numel()),
                         "accuracy": float((pred == test.labels).float().mean())})
        frames.append(predictions_frame(labels, test.labels.numpy(), predictions))
        del bench
    write_csv(job.output.accuracy, corruption_frame(labels, suite or "", rows))
    write_csv(job.output.predictions, pd.concat(frames, ignore_index=True))


def corruption_tables(job: Job) -> None:
    """Clean, adversarial and corruption accuracy per method side by side (GAcc, RAcc per attack, mCA, mCE,
    relative mCE; seed means and intervals) and the accuracy per corruption and severity."""
    from ..robust_training.shift import write_shift_tables

    p = job.params
    write_shift_tables(list(job.input.metrics), list(job.input.accuracy), p["attacks"], p["archs"], p["methods"],
                       p["suite"], dict(job.output.items()), float(p["stats"].get("confidence", 0.95)))


def corruption_figure(job: Job) -> None:
    """Accuracy vs severity per corruption family (a panel per family and CNN, a line per method)."""
    from ..corruptions.benchmark import suite_families
    from ..robust_training.shift import severity_figure

    p = job.params
    severity_figure(job.input.cells, job.input.shift, suite_families(p["suite"], p.get("dataset")), p["methods"],
                    job.output[0], p["suite"])


def rtda_claims(job: Job) -> None:
    """The abstract's claim (RTDA more robust to attacks and shift, clean accuracy kept): paired tests of each RTDA
    method against each baseline on clean, the Table II attack and the pooled corruptions, Holm, verdicts."""
    from ..perturbation.analysis.tables import Settings
    from ..robust_training.claims import write_claims

    p, out = job.params, job.output
    stats = Settings.from_params(p.get("stats") or {})
    write_claims(list(job.input.predictions), list(job.input.corruption_predictions), p["table2_attack"], p["archs"],
                 p["methods"], p["suite"], out.csv, out.md, stats.confidence, stats.alpha)


def study_corruption_evaluate(job: Job) -> None:
    """Every model of one seed on every corruption and severity, and on the clean test split: one accuracy CSV."""
    import pandas as pd
    from tqdm import tqdm

    from ..artifacts import sha256_tensors, write_csv
    from ..checkpoints import load_model
    from ..corruptions.benchmark import load_corruption_benchmark
    from ..corruptions.study import ACCURACY_COLUMNS, model_accuracies
    from ..data import load_splits
    from ..runtime import configure

    p = job.params
    device = configure(job.threads)
    test = load_splits(job.input.splits).test
    test_sha = sha256_tensors(test.images, test.labels)
    benches = [load_corruption_benchmark(path, test_sha) for path in job.input.benchmarks]
    rows = []
    for path, member in tqdm(list(zip(job.input.models, p["models"], strict=True)), desc="models", mininterval=5):
        model = load_model(path, member["arch"], device)
        labels = {"architecture": member["arch"], "series": member["series"], "set": member["setid"],
                  "seed": int(p["seed"]), **member["factors"]}
        rows += model_accuracies(model, labels, (test.images, test.labels), benches, int(p["batch_size"]), device)
    write_csv(job.output.accuracy, pd.DataFrame(rows).reindex(columns=ACCURACY_COLUMNS))


def study_corruption_tables(job: Job) -> None:
    """Per training set: clean accuracy, mCA, mCE and relative mCE against the clean model (seed means, intervals)."""
    from ..corruptions.study import write_shift_table

    write_shift_table(list(job.input.accuracy), job.output.csv, job.output.md,
                      float(job.params["stats"].get("confidence", 0.95)))


def study_corruption_figure(job: Job) -> None:
    """mCA vs training-set level for the single-factor series."""
    from ..corruptions.study import level_figure

    level_figure(job.input.table, job.output[0])
