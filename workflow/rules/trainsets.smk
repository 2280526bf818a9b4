# Perturbed training sets (RQ1-RQ6, inverse FGSM): directions once per series and architecture,
# then one cheap, self-describing set file per level. FGSM directions come from the clean source
# model of the same architecture trained with the FIRST configured seed (config["seeds"][0]).
from perturbstudy.perturb.series import needs_directions, needs_source_model

SOURCE_SEED = config["seeds"][0]


rule trainset_directions:
    input:
        splits=f"{OUT}/data/splits.pt",
        # the clean source model (first seed) for FGSM directions; nothing for Gaussian-only series
        model=lambda wc: (
            [f"{OUT}/models/{wc.arch}/clean/base/seed{SOURCE_SEED}/model.pt"] if needs_source_model(wc.series) else []
        ),
    output:
        f"{OUT}/directions/{{arch}}/{{series}}.pt",
    log:
        f"{OUT}/logs/trainset_directions/{{arch}}/{{series}}.log",
    benchmark:
        f"{OUT}/benchmarks/trainset_directions/{{arch}}/{{series}}.tsv"
    params:
        code=CODE_VERSION,
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
        splits=f"{OUT}/data/splits.pt",
        # the series' directions artifact; nothing for series without added images (RQ3, RQ4)
        directions=lambda wc: [f"{OUT}/directions/{wc.arch}/{wc.series}.pt"] if needs_directions(wc.series) else [],
    output:
        trainset=f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.pt",
        summary=f"{OUT}/trainsets/{{arch}}/{{series}}/{{setid}}.json",
    log:
        f"{OUT}/logs/trainset/{{arch}}/{{series}}/{{setid}}.log",
    benchmark:
        f"{OUT}/benchmarks/trainset/{{arch}}/{{series}}/{{setid}}.tsv"
    params:
        code=CODE_VERSION,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/trainset.py"
