# Training: one model per (architecture, training set, seed) with the architecture's settings.


rule train:
    input:
        splits=f"{OUT}/data/splits.pt",
        trainset=trainset_input,
    output:
        model=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/model.pt",
        history=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/history.csv",
    log:
        f"{OUT}/logs/train/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/train/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.tsv"
    params:
        code=CODE_VERSION,
        arch_config=lambda wc: canonical_params(config["architectures"][wc.arch]),
        resume=lambda wc: f"{OUT}/resume/{wc.arch}/{wc.series}/{wc.setid}/seed{wc.seed}.pt",
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=config["gpus_per_training"],
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/train.py"
