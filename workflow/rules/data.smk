# Data preparation: the deterministic stratified train / validation / test splits.


rule prepare_data:
    output:
        splits=f"{OUT}/data/splits.pt",
        summary=f"{OUT}/data/splits.json",
    log:
        f"{OUT}/logs/prepare_data.log",
    benchmark:
        f"{OUT}/benchmarks/prepare_data.tsv"
    params:
        step=get_step_params("prepare_data"),
        code=get_code("prepare_data"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/prepare_data.py"
