# Robustness benchmarks of the test split at equal L2 levels (Wang et al. 2.3): the Gaussian-noise
# benchmark (model-independent, built once) and the FGSM benchmark per architecture, against the
# architecture's clean source model (first seed).


rule benchmark_gaussian:
    input:
        splits=rules.prepare_data.output.splits,
    output:
        bench=f"{OUT}/robustness_benchmarks/gaussian.pt",
        summary=f"{OUT}/robustness_benchmarks/gaussian.json",
    log:
        f"{OUT}/logs/benchmark_gaussian.log",
    benchmark:
        f"{OUT}/benchmarks/benchmark_gaussian.tsv"
    params:
        step=get_step_params("benchmark_gaussian"),
        code=get_code("benchmark_gaussian"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/benchmark_gaussian.py"


rule benchmark_fgsm:
    input:
        splits=rules.prepare_data.output.splits,
        model=get_fgsm_source,
    output:
        bench=f"{OUT}/robustness_benchmarks/fgsm/{{arch}}.pt",
        summary=f"{OUT}/robustness_benchmarks/fgsm/{{arch}}.json",
    log:
        f"{OUT}/logs/benchmark_fgsm/{{arch}}.log",
    benchmark:
        f"{OUT}/benchmarks/benchmark_fgsm/{{arch}}.tsv"
    params:
        step=get_step_params("benchmark_fgsm"),
        code=get_code("benchmark_fgsm"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/benchmark_fgsm.py"
