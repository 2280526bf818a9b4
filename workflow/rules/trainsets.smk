# Perturbed training sets (RQ1-RQ6, inverse FGSM): directions once per series and architecture (no
# level-dependent work), then one cheap, self-describing set file per level, calibrated exactly, built a training
# group at a time (one job per group of models, as they are trained).


rule trainset_directions:
    input:
        splits=rules.prepare_data.output.splits,
        model=get_source_model,
    output:
        directions=f"{OUT}/directions/{{arch}}/{{series}}.pt",
    log:
        f"{OUT}/logs/trainset_directions/{{arch}}/{{series}}.log",
    benchmark:
        f"{OUT}/benchmarks/trainset_directions/{{arch}}/{{series}}.tsv"
    params:
        step=get_step_params("trainset_directions"),
        code=get_code("trainset_directions"),
    threads: THREADS
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/trainset_directions.py"


for group in GROUPS:
    if group.series == "clean":
        continue

    rule:
        name:
            f"trainset_{group.name}"
        input:
            splits=rules.prepare_data.output.splits,
            directions=get_group_directions(group),
        output:
            trainsets=group_paths(TRAINSET, group),
            summaries=group_paths(TRAINSET_SUMMARY, group),
        log:
            f"{OUT}/logs/trainset/{group.arch}/{group.series}/g{group.index}.log",
        benchmark:
            f"{OUT}/benchmarks/trainset/{group.arch}/{group.series}/g{group.index}.tsv"
        params:
            step=get_group_params("trainset", group),
            code=get_code("trainset"),
        threads: 1
        resources:
            mem_mb=4000,
            runtime=30,
        conda:
            "../envs/study.yaml"
        script:
            "../../scripts/trainset.py"
