# Evaluation, one job per training group and seed: each model on its own training set, the clean test split,
# every level of both benchmarks (transfer from the clean source model), white-box FGSM at the same L2 levels
# and white-box L2 PGD; one tidy CSV per model and its sanity flags beside it.

for group in GROUPS:

    rule:
        name:
            f"evaluate_{group.name}"
        input:
            models=getattr(rules, f"train_{group.name}").output.models,
            splits=rules.prepare_data.output.splits,
            gaussian=rules.benchmark_gaussian.output.bench,
            fgsm=expand(rules.benchmark_fgsm.output.bench, arch=group.arch)[0],
            trainsets=get_group_trainsets(group),
        output:
            csvs=group_paths(EVAL_CSV, group),
            flags=group_paths(EVAL_FLAGS, group),
        log:
            f"{OUT}/logs/evaluate/{group.arch}/{group.series}/g{group.index}/seed{{seed}}.log",
        benchmark:
            f"{OUT}/benchmarks/evaluate/{group.arch}/{group.series}/g{group.index}/seed{{seed}}.tsv"
        params:
            step=get_group_params("evaluate", group),
            code=get_code("evaluate"),
        threads: THREADS
        resources:
            mem_mb=2000 + 100 * len(group.setids),
            runtime=60,
        conda:
            "../envs/study.yaml"
        script:
            "../../scripts/evaluate.py"
