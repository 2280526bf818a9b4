# Robustness benchmarks of the test split at equal L2 levels (Wang et al. 2.3): the Gaussian-noise
# benchmark (model-independent, built once) and the FGSM benchmark per architecture, against the
# architecture's clean source model (first seed).


rule benchmark_gaussian:
    input:
        splits=f"{OUT}/data/splits.pt",
    output:
        bench=f"{OUT}/robustness_benchmarks/gaussian.pt",
        summary=f"{OUT}/robustness_benchmarks/gaussian.json",
    log:
        f"{OUT}/logs/benchmark_gaussian.log",
    benchmark:
        f"{OUT}/benchmarks/benchmark_gaussian.tsv"
    params:
        code=CODE_VERSION,
        benchmarks=canonical_params(config["benchmarks"]),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/build_gaussian_benchmark.py"


rule benchmark_fgsm:
    input:
        splits=f"{OUT}/data/splits.pt",
        # the source: the architecture's clean model with the first seed
        model=lambda wc: f"{model_dir(wc.arch, 'clean', 'base', config['seeds'][0])}/model.pt",
    output:
        bench=f"{OUT}/robustness_benchmarks/fgsm/{{arch}}.pt",
        summary=f"{OUT}/robustness_benchmarks/fgsm/{{arch}}.json",
    log:
        f"{OUT}/logs/benchmark_fgsm/{{arch}}.log",
    benchmark:
        f"{OUT}/benchmarks/benchmark_fgsm/{{arch}}.tsv"
    params:
        code=CODE_VERSION,
        benchmarks=canonical_params(config["benchmarks"]),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/build_fgsm_benchmark.py"
