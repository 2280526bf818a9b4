# Evaluation of every model: its own training set, the clean test split, every level of both
# benchmarks (transfer from the clean source model), white-box FGSM at the same L2 levels and
# white-box L2 PGD; one tidy CSV per model and its sanity flags beside it.


rule evaluate:
    input:
        model=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/model.pt",
        splits=f"{OUT}/data/splits.pt",
        gaussian=f"{OUT}/robustness_benchmarks/gaussian.pt",
        fgsm=f"{OUT}/robustness_benchmarks/fgsm/{{arch}}.pt",
        trainset=trainset_input,
    output:
        csv=f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.csv",
        flags=f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.flags.json",
    log:
        f"{OUT}/logs/evaluate/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/evaluate/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.tsv"
    params:
        code=CODE_VERSION,
        benchmarks=canonical_params(config["benchmarks"]),
        whitebox=canonical_params(config["whitebox"]),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/evaluate.py"
