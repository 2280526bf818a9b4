# DPAAT medical runs (Li et al. 2024): every CNN of medical.architectures x every method of
# medical.methods x seed, the attack suite, Table I/II analogues, confusion matrices and Grad-CAM under
# results/<study>/medical/; the ablation's own runs (medical.ablation: its CNNs x methods x seed, with its
# training settings) under results/<study>/medical/ablation/, the same steps, then the ablation table and figure.
# No `medical:` section: no targets; no `medical.ablation`: no ablation targets.

wildcard_constraints:
    method="[a-z_]+",


rule medical_prepare_data:
    output:
        splits=f"{MOUT}/data/splits.pt",
        summary=f"{MOUT}/data/splits.json",
    log:
        f"{OUT}/logs/medical/prepare_data.log",
    benchmark:
        f"{OUT}/benchmarks/medical/prepare_data.tsv"
    params:
        step=get_step_params("medical_prepare_data"),
        code=get_code("medical_prepare_data"),
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_prepare_data.py"


rule medical_train:
    input:
        unpack(get_medical_train_inputs),
    output:
        model=f"{MOUT}/models/{{arch}}/{{method}}/seed{{seed}}/model.pt",
        history=f"{MOUT}/models/{{arch}}/{{method}}/seed{{seed}}/history.csv",
    log:
        f"{OUT}/logs/medical/train/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/train/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("medical_train"),
        code=get_code("medical_train"),
        resume=get_resume(f"{MOUT}/resume/{{arch}}/{{method}}/seed{{seed}}.pt"),
    threads: THREADS
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_train.py"


rule medical_evaluate:
    input:
        model=rules.medical_train.output.model,
        splits=rules.medical_prepare_data.output.splits,
    output:
        metrics=f"{MOUT}/eval/{{arch}}/{{method}}/seed{{seed}}/metrics.csv",
        confusion=f"{MOUT}/eval/{{arch}}/{{method}}/seed{{seed}}/confusion.csv",
        predictions=f"{MOUT}/eval/{{arch}}/{{method}}/seed{{seed}}/predictions.csv",
    log:
        f"{OUT}/logs/medical/evaluate/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/evaluate/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("medical_evaluate"),
        code=get_code("medical_evaluate"),
    threads: THREADS
    resources:
        mem_mb=16000,
        runtime=120,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_evaluate.py"


rule medical_tables:
    input:
        metrics=[expand(rules.medical_evaluate.output.metrics, arch=a, method=m, seed=s)[0] for a, m, s in MED_RUNS],
        predictions=[expand(rules.medical_evaluate.output.predictions, arch=a, method=m, seed=s)[0]
                     for a, m, s in MED_RUNS],
    output:
        table1_csv=report(f"{MOUT}/tables/table1.csv", caption="../report/medical_table1.rst",
                          category="Medical (DPAAT)", subcategory="Tables"),
        table1_md=f"{MOUT}/tables/table1.md",
        table2_csv=report(f"{MOUT}/tables/table2.csv", caption="../report/medical_table2.rst",
                          category="Medical (DPAAT)", subcategory="Tables"),
        table2_md=f"{MOUT}/tables/table2.md",
        comparisons_csv=report(f"{MOUT}/tables/comparisons.csv", caption="../report/medical_comparisons.rst",
                               category="Medical (DPAAT)", subcategory="Tables"),
        comparisons_md=f"{MOUT}/tables/comparisons.md",
    log:
        f"{OUT}/logs/medical/tables.log",
    params:
        step=get_step_params("medical_tables"),
        code=get_code("medical_tables"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_tables.py"


rule medical_ablation_train:
    input:
        splits=rules.medical_prepare_data.output.splits,
    output:
        **ablation_paths(rules.medical_train.output),
    log:
        f"{OUT}/logs/medical/ablation/train/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/ablation/train/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("medical_ablation_train"),
        code=get_code("medical_ablation_train"),
        resume=get_resume(f"{MOUT}/resume/ablation/{{arch}}/{{method}}/seed{{seed}}.pt"),
    threads: THREADS
    resources:
        mem_mb=16000,
        runtime=1440,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_ablation_train.py"


rule medical_ablation_evaluate:
    input:
        model=rules.medical_ablation_train.output.model,
        splits=rules.medical_prepare_data.output.splits,
    output:
        **ablation_paths(rules.medical_evaluate.output),
    log:
        f"{OUT}/logs/medical/ablation/evaluate/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/ablation/evaluate/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("medical_ablation_evaluate"),
        code=get_code("medical_ablation_evaluate"),
    threads: THREADS
    resources:
        mem_mb=16000,
        runtime=120,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_ablation_evaluate.py"


rule medical_ablation_table:
    input:
        metrics=[expand(rules.medical_ablation_evaluate.output.metrics, arch=a, method=m, seed=s)[0]
                 for a, m, s in MED_ABLATION_RUNS],
    output:
        csv=f"{MOUT}/tables/ablation.csv",
        md=f"{MOUT}/tables/ablation.md",
    log:
        f"{OUT}/logs/medical/ablation_table.log",
    params:
        step=get_step_params("medical_ablation_table"),
        code=get_code("medical_ablation_table"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_ablation_table.py"


rule medical_ablation_figure:
    input:
        ablation=rules.medical_ablation_table.output.csv,
    output:
        report(f"{MOUT}/figures/ablation.png", caption="../report/medical_ablation.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/ablation_figure.log",
    params:
        step=get_step_params("medical_ablation_figure"),
        code=get_code("medical_ablation_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_ablation_figure.py"


rule medical_confusion_figure:
    input:
        confusion=get_medical_confusions,
    output:
        report(f"{MOUT}/figures/confusion_{{arch}}.png", caption="../report/medical_confusion.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/confusion_figure/{{arch}}.log",
    params:
        step=get_step_params("medical_confusion_figure"),
        code=get_code("medical_confusion_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_confusion_figure.py"


rule medical_gradcam:
    input:
        splits=rules.medical_prepare_data.output.splits,
        models=get_gradcam_models,
    output:
        report(f"{MOUT}/figures/gradcam_{{arch}}.png", caption="../report/medical_gradcam.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/gradcam/{{arch}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/gradcam/{{arch}}.tsv"
    params:
        step=get_step_params("medical_gradcam"),
        code=get_code("medical_gradcam"),
    threads: THREADS
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_gradcam.py"
