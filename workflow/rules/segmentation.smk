# FGSM / inverse-FGSM augmentation for segmentation (Pervin et al. 2023): a MONAI UNet trained on the data
# without augmentation, then with copies made by FGSM, inverse FGSM or a classic transform, per seed; mean IoU
# by epoch and by perturbation eps, each augmentation against none, and the Figs. 3-4 analogue under
# results/<study>/segmentation/. No `segmentation:` section: no targets.

wildcard_constraints:
    variant="[a-z_]+",


rule segmentation_prepare_data:
    output:
        splits=f"{SOUT}/data/splits.pt",
        summary=f"{SOUT}/data/splits.json",
    log:
        f"{OUT}/logs/segmentation/prepare_data.log",
    benchmark:
        f"{OUT}/benchmarks/segmentation/prepare_data.tsv"
    params:
        step=get_step_params("segmentation_prepare_data"),
        code=get_code("segmentation_prepare_data"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/segmentation_prepare_data.py"


rule segmentation_train:
    input:
        unpack(get_segmentation_train_inputs),
    output:
        model=f"{SOUT}/models/{{variant}}/seed{{seed}}/model.pt",
        history=f"{SOUT}/models/{{variant}}/seed{{seed}}/history.csv",
    log:
        f"{OUT}/logs/segmentation/train/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/segmentation/train/{{variant}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("segmentation_train"),
        code=get_code("segmentation_train"),
        resume=get_resume(f"{SOUT}/resume/{{variant}}/seed{{seed}}.pt"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=SEG.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/segmentation_train.py"


rule segmentation_evaluate:
    input:
        model=rules.segmentation_train.output.model,
        splits=rules.segmentation_prepare_data.output.splits,
    output:
        epochs=f"{SOUT}/eval/{{variant}}/seed{{seed}}/epochs.csv",
        robustness=f"{SOUT}/eval/{{variant}}/seed{{seed}}/robustness.csv",
        images=f"{SOUT}/eval/{{variant}}/seed{{seed}}/images.csv",
    log:
        f"{OUT}/logs/segmentation/evaluate/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/segmentation/evaluate/{{variant}}/seed{{seed}}.tsv"
    params:
        step=get_step_params("segmentation_evaluate"),
        code=get_code("segmentation_evaluate"),
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=SEG.get("gpus", 0),
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/segmentation_evaluate.py"


rule segmentation_tables:
    input:
        epochs=segmentation_runs(rules.segmentation_evaluate.output.epochs),
        robustness=segmentation_runs(rules.segmentation_evaluate.output.robustness),
        images=segmentation_runs(rules.segmentation_evaluate.output.images),
    output:
        epochs_csv=report(f"{SOUT}/tables/iou_by_epoch.csv", caption="../report/segmentation_epochs.rst",
                          category="Segmentation (Pervin)", subcategory="Tables"),
        epochs_md=f"{SOUT}/tables/iou_by_epoch.md",
        eps_csv=report(f"{SOUT}/tables/iou_by_eps.csv", caption="../report/segmentation_eps.rst",
                       category="Segmentation (Pervin)", subcategory="Tables"),
        eps_md=f"{SOUT}/tables/iou_by_eps.md",
        augmentations_csv=report(f"{SOUT}/tables/augmentations.csv",
                                 caption="../report/segmentation_augmentations.rst",
                                 category="Segmentation (Pervin)", subcategory="Tables"),
        augmentations_md=f"{SOUT}/tables/augmentations.md",
    log:
        f"{OUT}/logs/segmentation/tables.log",
    params:
        step=get_step_params("segmentation_tables"),
        code=get_code("segmentation_tables"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/segmentation_tables.py"


rule segmentation_figure:
    input:
        splits=rules.segmentation_prepare_data.output.splits,
        source=expand(rules.segmentation_train.output.model, variant="none", seed=SEG_FIRST_SEED)[0],
        model=expand(rules.segmentation_train.output.model, variant="inverse_fgsm", seed=SEG_FIRST_SEED)[0],
    output:
        report(f"{SOUT}/figures/augmentation_examples.png", caption="../report/segmentation_figure.rst",
               category="Segmentation (Pervin)", subcategory="Figures"),
    log:
        f"{OUT}/logs/segmentation/figure.log",
    params:
        step=get_step_params("segmentation_figure"),
        code=get_code("segmentation_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/segmentation_figure.py"
