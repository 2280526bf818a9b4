# Evaluation: clean accuracy of every model on its train, validation and test splits.


rule evaluate_clean:
    input:
        model=f"{OUT}/models/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/model.pt",
        splits=f"{OUT}/data/splits.pt",
    output:
        f"{OUT}/eval/{{arch}}/{{series}}/{{setid}}/seed{{seed}}/clean.csv",
    log:
        f"{OUT}/logs/evaluate_clean/{{arch}}/{{series}}/{{setid}}/seed{{seed}}.log",
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/evaluate_clean.py"
