# Training: one model per (architecture, training set, seed) with the architecture's settings.


rule train:
    input:
        splits=rules.prepare_data.output.splits,
        trainset=get_trainset,
    output:
        model=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/model.pt",
        history=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/history.csv",
    log:
        f"{OUT}/logs/train/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/train/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("train"),
        code=get_code("train"),
        resume=get_resume(f"{OUT}/resume/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.pt"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=config["gpus_per_training"],
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/train.py"
