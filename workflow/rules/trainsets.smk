# Perturbed training sets (RQ1-RQ6, inverse FGSM): directions once per series and architecture (no
# level-dependent work), then one cheap, self-describing set file per level, calibrated exactly.


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


rule trainset:
    input:
        splits=rules.prepare_data.output.splits,
        directions=get_directions,
    output:
        trainset=f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.pt",
        summary=f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.json",
    log:
        f"{OUT}/logs/trainset/{{arch}}/{{series}}/{{setid}}.log",
    benchmark:
        f"{OUT}/benchmarks/trainset/{{arch}}/{{series}}/{{setid}}.tsv"
    params:
        step=get_step_params("trainset"),
        code=get_code("trainset"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/trainset.py"
