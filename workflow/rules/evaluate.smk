# Evaluation of every model: its own training set, the clean test split, every level of both
# benchmarks (transfer from the clean source model), white-box FGSM at the same L2 levels and
# white-box L2 PGD; one tidy CSV per model and its sanity flags beside it.


rule evaluate:
    input:
        model=rules.train.output.model,
        splits=rules.prepare_data.output.splits,
        gaussian=rules.benchmark_gaussian.output.bench,
        fgsm=rules.benchmark_fgsm.output.bench,
        trainset=get_trainset,
    output:
        csv=f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.csv",
        flags=f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.flags.json",
    log:
        f"{OUT}/logs/evaluate/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/evaluate/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("evaluate"),
        code=get_code("evaluate"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/evaluate.py"
