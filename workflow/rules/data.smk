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
        code=CODE_VERSION,
        dataset=canonical_params(config["dataset"]),
        data_seed=config["data_seed"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/prepare_data.py"
