"""Steps of workflow/rules/benchmarks.smk: the equal-L2 benchmarks of the test split."""

from __future__ import annotations

import time

from ..smk import Job


def benchmark_gaussian(job: Job) -> None:
    """The Gaussian-noise benchmark of the test split (model-independent), with a JSON summary."""
    from ..artifacts import sha256_file, sha256_tensors, write_json
    from ..data import load_splits
    from ..equal_l2.benchmarks import gaussian_benchmark, save_benchmark
    from ..runtime import configure

    configure(job.threads)
    p, test = job.params, load_splits(job.input.splits).test
    start = time.perf_counter()
    bench = gaussian_benchmark(test.images, p["levels"], int(p["gaussian_seed"]), progress=True)
    print(f"Gaussian benchmark built in {time.perf_counter() - start:.1f} s", flush=True)  # times: log only
    summary = save_benchmark(job.output.bench, bench, sha256_tensors(test.images, test.labels), {})
    write_json(job.output.summary, {**summary, "file_sha256": sha256_file(job.output.bench)})


def benchmark_fgsm(job: Job) -> None:
    """The equal-L2 FGSM benchmark of the test split against the architecture's clean source model."""
    from ..artifacts import sha256_file, sha256_tensors, write_json
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..equal_l2.benchmarks import equal_l2_fgsm, save_benchmark
    from ..runtime import configure

    device = configure(job.threads)
    p, test = job.params, load_splits(job.input.splits).test
    arch, source = p["arch"], job.input.model
    model = load_model(source, arch, device)
    start = time.perf_counter()
    bench = equal_l2_fgsm(model, test.images, test.labels, p["levels"], int(p["batch_size"]), progress=True)
    print(f"FGSM benchmark {arch} built in {time.perf_counter() - start:.1f} s", flush=True)
    excluded = bench.excluded_counts()
    if any(excluded):
        print(f"FGSM benchmark {arch}: samples excluded per level (unreachable along the sign direction): "
              f"{excluded}", flush=True)
    summary = save_benchmark(job.output.bench, bench, sha256_tensors(test.images, test.labels),
                             {"architecture": arch, "source_model": str(source),
                              "source_model_sha256": sha256_file(source)})
    write_json(job.output.summary, {**summary, "file_sha256": sha256_file(job.output.bench)})
