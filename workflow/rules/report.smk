# Report: the provenance of every table, figure and other artifact, as one table in `snakemake --report`.


PROVENANCE_SUMMARY = f"{OUT}/report/provenance.csv"


rule provenance_summary:
    input:
        # every other end product of `rule all`, so the table is written last and covers the whole study
        lambda wildcards: [str(f) for f in rules.all.input if str(f) != PROVENANCE_SUMMARY],
    output:
        table=report(PROVENANCE_SUMMARY, caption="../report/provenance.rst", category="Provenance"),
    log:
        f"{OUT}/logs/provenance_summary.log",
    params:
        step=get_step_params("provenance_summary"),
        code=get_code("provenance_summary"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/study.yaml"
    script:
        "../../scripts/provenance_summary.py"
