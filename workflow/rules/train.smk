# Training: one job per group of training sets (an architecture's series, cut by its group_size) and seed,
# all its models trained at once as one stacked network; each model keeps its own files.

for group in GROUPS:

    rule:
        name:
            f"train_{group.name}"
        input:
            splits=rules.prepare_data.output.splits,
            trainsets=get_group_trainsets(group),
        output:
            models=group_paths(MODEL, group),
            histories=group_paths(HISTORY, group),
        log:
            f"{OUT}/logs/train/{group.arch}/{group.series}/g{group.index}/seed{{seed}}.log",
        benchmark:
            f"{OUT}/benchmarks/train/{group.arch}/{group.series}/g{group.index}/seed{{seed}}.tsv"
        params:
            step=get_group_params("train", group),
            code=get_code("train"),
            resume=get_resume(f"{OUT}/resume/{group.arch}/{group.series}/g{group.index}/seed{{seed}}.pt"),
        threads: THREADS
        resources:
            mem_mb=2000 + 100 * len(group.setids),
            runtime=120,
            gpu=config["gpus_per_training"],
        conda:
            "../envs/study.yaml"
        script:
            "../../scripts/train.py"
