# DPAAT medical runs (Li et al. 2024): every CNN of medical.architectures x every method of
# medical.methods x seed, the attack suite, Table I/II analogues, confusion matrices, Grad-CAM and
# the ablation figure under results/<study>/medical/. No `medical:` section: no targets.
import functools

from perturbstudy.medical import settings as _medical

ABLATION_METHODS = _medical.ABLATION_METHODS
# medical_targets(): every final output (used by rule all and the provenance summary)
medical_targets = functools.partial(_medical.medical_targets, config)
MED = config.get("medical") or {}
MOUT = f"{OUT}/medical"
MED_ARCHS = list(MED.get("architectures", {}))
MED_METHODS = list(MED.get("methods", []))
MED_SEEDS = [int(s) for s in config["seeds"]]
MED_ATTACKS = [a["name"] for a in MED.get("attacks", [])]
MED_ABLATION = [m for m in ABLATION_METHODS if m in MED_METHODS]
MED_ABLATION_ARCHS = MED.get("ablation_architectures") or MED_ARCHS
MED_GRADCAM = [m for m in MED.get("gradcam", {}).get("methods", []) if m in MED_METHODS]


wildcard_constraints:
    method="[a-z]+",


rule medical_prepare_data:
    output:
        splits=f"{MOUT}/data/splits.pt",
        summary=f"{MOUT}/data/splits.json",
    log:
        f"{OUT}/logs/medical/prepare_data.log",
    benchmark:
        f"{OUT}/benchmarks/medical/prepare_data.tsv"
    params:
        code=CODE_VERSION,
        dataset=canonical_params(MED.get("dataset")),
        data_seed=config["data_seed"],
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
        splits=f"{MOUT}/data/splits.pt",
    output:
        model=f"{MOUT}/models/{{arch}}/{{method}}/seed{{seed}}/model.pt",
        history=f"{MOUT}/models/{{arch}}/{{method}}/seed{{seed}}/history.csv",
    log:
        f"{OUT}/logs/medical/train/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/train/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        code=CODE_VERSION,
        arch_config=lambda wc: canonical_params(MED["architectures"][wc.arch]),
        training=lambda wc: canonical_params(MED["training"]) if wc.method != "std" else {},
        resume=lambda wc: f"{MOUT}/resume/{wc.arch}/{wc.method}/seed{wc.seed}.pt",
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
        model=f"{MOUT}/models/{{arch}}/{{method}}/seed{{seed}}/model.pt",
        splits=f"{MOUT}/data/splits.pt",
    output:
        metrics=f"{MOUT}/eval/{{arch}}/{{method}}/seed{{seed}}/metrics.csv",
        confusion=f"{MOUT}/eval/{{arch}}/{{method}}/seed{{seed}}/confusion.csv",
    log:
        f"{OUT}/logs/medical/evaluate/{{arch}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/evaluate/{{arch}}/{{method}}/seed{{seed}}.tsv"
    params:
        code=CODE_VERSION,
        attacks=canonical_params(MED.get("attacks")),
        eval_batch_size=MED.get("eval_batch_size"),
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
        metrics=[f"{MOUT}/eval/{a}/{m}/seed{s}/metrics.csv" for a, m, s in _medical.medical_runs(config)],
    output:
        table1_csv=report(f"{MOUT}/tables/table1.csv", caption="../report/medical_table1.rst",
                          category="Medical (DPAAT)", subcategory="Tables"),
        table1_md=f"{MOUT}/tables/table1.md",
        table2_csv=report(f"{MOUT}/tables/table2.csv", caption="../report/medical_table2.rst",
                          category="Medical (DPAAT)", subcategory="Tables"),
        table2_md=f"{MOUT}/tables/table2.md",
        ablation_csv=f"{MOUT}/tables/ablation.csv",
        ablation_md=f"{MOUT}/tables/ablation.md",
    log:
        f"{OUT}/logs/medical/tables.log",
    params:
        code=CODE_VERSION,
        attacks=MED_ATTACKS,
        table2_attack=MED.get("table2_attack"),
        archs=MED_ARCHS,
        methods=MED_METHODS,
        ablation_methods=MED_ABLATION,
        ablation_archs=MED_ABLATION_ARCHS,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_tables.py"


rule medical_ablation_figure:
    input:
        ablation=f"{MOUT}/tables/ablation.csv",
    output:
        report(f"{MOUT}/figures/ablation.png", caption="../report/medical_ablation.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/ablation_figure.log",
    params:
        code=CODE_VERSION,
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
        confusion=lambda wc: [f"{MOUT}/eval/{wc.arch}/{m}/seed{MED_SEEDS[0]}/confusion.csv" for m in MED_METHODS],
    output:
        report(f"{MOUT}/figures/confusion_{{arch}}.png", caption="../report/medical_confusion.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/confusion_figure/{{arch}}.log",
    params:
        code=CODE_VERSION,
        attack=MED.get("table2_attack"),
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
        splits=f"{MOUT}/data/splits.pt",
        models=lambda wc: [f"{MOUT}/models/{wc.arch}/{m}/seed{MED_SEEDS[0]}/model.pt" for m in MED_GRADCAM],
    output:
        report(f"{MOUT}/figures/gradcam_{{arch}}.png", caption="../report/medical_gradcam.rst",
               category="Medical (DPAAT)", subcategory="Figures"),
    log:
        f"{OUT}/logs/medical/gradcam/{{arch}}.log",
    benchmark:
        f"{OUT}/benchmarks/medical/gradcam/{{arch}}.tsv"
    params:
        code=CODE_VERSION,
        methods=MED_GRADCAM,
        gradcam=canonical_params(MED.get("gradcam")),
    threads: THREADS
    resources:
        mem_mb=8000,
        runtime=30,
        gpu=MED.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/medical_gradcam.py"
