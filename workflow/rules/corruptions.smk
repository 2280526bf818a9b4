# The medical runs under distribution shift (RTDA, 2025): the medical test split under every corruption and severity
# of `medical.corruptions` (one seeded, hashed benchmark file per corruption), every main medical model (CNN x method
# x seed) evaluated on it, clean / adversarial / corruption accuracy side by side, accuracy vs severity per
# corruption family, and the abstract's claim checked with paired tests, under results/<study>/medical/.
# No `medical.corruptions`: no targets. The study_corruption_* rules do the same for the MNIST study's models (top-level
# `corruptions`): its test split under MNIST-C, every model of a seed in one job, a table per training set and mCA vs
# training-set level, under results/<study>/corruptions/.

wildcard_constraints:
    corruption="[a-z_]+",


rule corruption_benchmark:
    input:
        splits=rules.medical_prepare_data.output.splits,
    output:
        bench=f"{MOUT}/corruptions/benchmarks/{{corruption}}.pt",
        summary=f"{MOUT}/corruptions/benchmarks/{{corruption}}.json",
    log:
        f"{OUT}/logs/medical/corruptions/benchmark/{{corruption}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/corruptions/benchmark/{{corruption}}.tsv"
    params:
        step=get_step_params("corruption_benchmark"),
        code=get_code("corruption_benchmark"),
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/corruption_benchmark.py"


rule corruption_evaluate:
    input:
        model=rules.medical_train.output.model,
        splits=rules.medical_prepare_data.output.splits,
        benchmarks=expand(rules.corruption_benchmark.output.bench, corruption=MED_CORRUPTIONS),
    output:
        accuracy=f"{MOUT}/corruptions/eval/{{arch}}/{{method}}/seed{{seed}}/accuracy.csv",
        predictions=f"{MOUT}/corruptions/eval/{{arch}}/{{method}}/seed{{seed}}/predictions.csv",
    log:
        f"{OUT}/logs/medical/corruptions/evaluate/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/corruptions/evaluate/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("corruption_evaluate"),
        code=get_code("corruption_evaluate"),
    threads: THREADS
    resources:
        mem_mb=16000,
        runtime=120,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/corruption_evaluate.py"


rule corruption_tables:
    input:
        metrics=medical_run_files(rules.medical_evaluate.output.metrics),
        accuracy=medical_run_files(rules.corruption_evaluate.output.accuracy),
    output:
        shift_csv=report(f"{MOUT}/tables/shift.csv", caption="../report/corruption_shift.rst",
                         category="Medical (DPAAT)", subcategory="Distribution shift"),
        shift_md=f"{MOUT}/tables/shift.md",
        cells_csv=f"{MOUT}/tables/corruption_accuracy.csv",
    log:
        f"{OUT}/logs/medical/corruptions/tables.log",
    params:
        step=get_step_params("corruption_tables"),
        code=get_code("corruption_tables"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/corruption_tables.py"


rule corruption_figure:
    input:
        cells=rules.corruption_tables.output.cells_csv,
        shift=rules.corruption_tables.output.shift_csv,
    output:
        report(f"{MOUT}/figures/corruption_severity.png", caption="../report/corruption_severity.rst",
               category="Medical (DPAAT)", subcategory="Distribution shift"),
    log:
        f"{OUT}/logs/medical/corruptions/figure.log",
    params:
        step=get_step_params("corruption_figure"),
        code=get_code("corruption_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/corruption_figure.py"


rule rtda_claims:
    input:
        predictions=medical_run_files(rules.medical_evaluate.output.predictions),
        corruption_predictions=medical_run_files(rules.corruption_evaluate.output.predictions),
    output:
        csv=report(f"{MOUT}/findings/rtda_claims.csv", caption="../report/rtda_claims.rst",
                   category="Medical (DPAAT)", subcategory="Distribution shift"),
        md=f"{MOUT}/findings/rtda_claims.md",
    log:
        f"{OUT}/logs/medical/corruptions/rtda_claims.log",
    params:
        step=get_step_params("rtda_claims"),
        code=get_code("rtda_claims"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/rtda_claims.py"


rule study_corruption_benchmark:
    input:
        splits=rules.prepare_data.output.splits,
    output:
        bench=f"{STUDY_COUT}/benchmarks/{{corruption}}.pt",
        summary=f"{STUDY_COUT}/benchmarks/{{corruption}}.json",
    log:
        f"{OUT}/logs/corruptions/benchmark/{{corruption}}.log",
    benchmark:
        f"{OUT}/benchmarks/corruptions/benchmark/{{corruption}}.tsv"
    params:
        step=get_step_params("study_corruption_benchmark"),
        code=get_code("study_corruption_benchmark"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/study_corruption_benchmark.py"


rule study_corruption_evaluate:
    input:
        models=get_seed_models,
        splits=rules.prepare_data.output.splits,
        benchmarks=expand(rules.study_corruption_benchmark.output.bench, corruption=STUDY_CORRUPTIONS),
    output:
        accuracy=f"{STUDY_COUT}/eval/seed{{seed}}.csv",
    log:
        f"{OUT}/logs/corruptions/evaluate/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/corruptions/evaluate/seed{{seed}}.tsv"
    params:
        step=get_step_params("study_corruption_evaluate"),
        code=get_code("study_corruption_evaluate"),
    threads: THREADS
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/study_corruption_evaluate.py"


rule study_corruption_tables:
    input:
        accuracy=expand(rules.study_corruption_evaluate.output.accuracy, seed=config["seeds"]),
    output:
        csv=report(f"{STUDY_COUT}/tables/shift.csv", caption="../report/study_corruption_shift.rst",
                   category="Corruptions (MNIST-C)"),
        md=f"{STUDY_COUT}/tables/shift.md",
    log:
        f"{OUT}/logs/corruptions/tables.log",
    params:
        step=get_step_params("study_corruption_tables"),
        code=get_code("study_corruption_tables"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/study_corruption_tables.py"


rule study_corruption_figure:
    input:
        table=rules.study_corruption_tables.output.csv,
    output:
        report(f"{STUDY_COUT}/figures/levels.png", caption="../report/study_corruption_levels.rst",
               category="Corruptions (MNIST-C)"),
    log:
        f"{OUT}/logs/corruptions/figure.log",
    params:
        step=get_step_params("study_corruption_figure"),
        code=get_code("study_corruption_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/study_corruption_figure.py"
