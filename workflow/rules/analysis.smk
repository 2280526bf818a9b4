# Analysis: tables 2-7, figures 2-6 analogues and findings.md from the evaluation CSVs.
# Only the series the config trains are analysed; every table is written as CSV, Markdown and LaTeX.


include: "analysis_common.smk"


rule analysis_summary:
    input:
        evals=[expand(EVAL_CSV, **m._asdict())[0] for m in GRID],
    output:
        summary=report(f"{ANALYSIS}/summary.csv", caption="../report/summary.rst", category="Data"),
        levels=f"{ANALYSIS}/benchmark_levels.csv",
        seeds=f"{ANALYSIS}/summary_seeds.csv",
    log:
        f"{OUT}/logs/analysis/summary.log",
    params:
        step=get_step_params("analysis_summary"),
        code=get_code("analysis_summary"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_summary.py"


rule analysis_single_factor:
    input:
        summary=rules.analysis_summary.output.summary,
        levels=rules.analysis_summary.output.levels,
        seeds=rules.analysis_summary.output.seeds,
    output:
        **_table("{series}_spearman", "spearman", "{series}"),
        **{f"levels_{k}": v for k, v in _table("{series}_levels", "levels", "{series}").items()},
        **_figure("{series}_accuracy", "series_figure", "{series}"),
    wildcard_constraints:
        series="|".join(SINGLE_FACTOR_SERIES),
    log:
        f"{OUT}/logs/analysis/{{series}}_single_factor.log",
    benchmark:
        f"{OUT}/benchmarks/analysis/{{series}}_single_factor.tsv"
    params:
        step=get_step_params("analysis_single_factor"),
        code=get_code("analysis_single_factor"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_single_factor.py"


rule analysis_segments:
    input:
        summary=rules.analysis_summary.output.summary,
        levels=rules.analysis_summary.output.levels,
        seeds=rules.analysis_summary.output.seeds,
    output:
        **_table("{series}_segments", "segments", "{series}"),
    wildcard_constraints:
        series="|".join(SEGMENTED_SERIES),
    log:
        f"{OUT}/logs/analysis/{{series}}_segments.log",
    params:
        step=get_step_params("analysis_segments"),
        code=get_code("analysis_segments"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_segments.py"


rule analysis_dual:
    input:
        summary=rules.analysis_summary.output.summary,
    output:
        **{f"correlation_{k}": v for k, v in _table("rq5_dual_multiple_correlation", "multiple_correlation",
                                                     "rq5_dual").items()},
        **{f"slopes_{k}": v for k, v in _table("rq5_dual_slopes", "slopes", "rq5_dual").items()},
        **_figure("rq5_dual_heatmaps", "heatmaps", "rq5_dual"),
    params:
        step=get_step_params("analysis_dual"),
        code=get_code("analysis_dual"),
    log:
        f"{OUT}/logs/analysis/rq5_dual.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_dual.py"


rule analysis_orthogonal:
    input:
        summary=rules.analysis_summary.output.summary,
    output:
        **{f"{key}_{k}": v for key, name in (("correlation", "multiple_correlation"), ("slopes", "slopes"),
                                             ("main_effects", "main_effects"), ("ranges", "effect_ranges"),
                                             ("anova", "anova"))
           for k, v in _table(f"rq6_four_{name}", name, "rq6_four").items()},
        **_figure("rq6_four_main_effects", "main_effects", "rq6_four"),
    params:
        step=get_step_params("analysis_orthogonal"),
        code=get_code("analysis_orthogonal"),
    log:
        f"{OUT}/logs/analysis/rq6_four.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_orthogonal.py"


rule analysis_level_figure:
    input:
        summary=rules.analysis_summary.output.summary,
        levels=rules.analysis_summary.output.levels,
    output:
        **_figure("accuracy_vs_benchmark_level", "level_figure", "all models"),
    log:
        f"{OUT}/logs/analysis/level_figure.log",
    params:
        step=get_step_params("analysis_level_figure"),
        code=get_code("analysis_level_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_level_figure.py"


rule analysis_findings:
    input:
        summary=rules.analysis_summary.output.summary,
        seeds=rules.analysis_summary.output.seeds,
    output:
        findings=report(f"{ANALYSIS}/findings.md", caption="../report/findings.rst", category="Findings"),
        **_table("paper_consistency", "paper_consistency", "paper"),
        **{f"replication_{k}": v for k, v in _table("replication", "replication", "paper").items()},
    log:
        f"{OUT}/logs/analysis/findings.log",
    benchmark:
        f"{OUT}/benchmarks/analysis/findings.tsv"
    params:
        step=get_step_params("analysis_findings"),
        code=get_code("analysis_findings"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/analysis_findings.py"


rule analysis:
    input:
        analysis_targets(),
    localrule: True
