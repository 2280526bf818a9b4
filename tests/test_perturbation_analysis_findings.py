"""The findings' verdict logic, calibrated on the paper's own Tables 2-7, and judged on a synthetic study."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from perturbstudy.perturbation.analysis import findings, io, paper, replication, tables
from perturbstudy.perturbation.analysis import verdicts as vd
from tests.analysis_synthetic import write_eval_csvs

SETTINGS = tables.Settings(bootstrap_resamples=200, seed=0)
S, N, C = vd.SUPPORTED, vd.NO_EVIDENCE, vd.CONTRADICTED

# What the paper's printed numbers imply under our rules (Holm over each finding's trend claims, both
# architectures, alpha = 0.05). Each row: finding, architecture, table, test set, segment, the paper's r (or R)
# and p, and the status those numbers give the claim.
PAPER_EXPECTED = [
    (1, "lenet5", "Table 2", "MNIST-C", "", 0.489, 0.013, S),       # Holm 0.013 x 1 (largest of 4)
    (1, "lenet5", "Table 2", "MNIST-A", "", 0.730, 3.347, S),       # printed p is no probability; implied 3.4e-5
    (1, "alexnet8", "Table 2", "MNIST-C", "", 0.977, 5.83e-17, S),
    (1, "alexnet8", "Table 2", "MNIST-A", "", 0.984, 7.24e-19, S),
    (2, "lenet5", "Table 3", "MNIST-A", "I", 0.998, 9.58e-19, S),
    (2, "lenet5", "Table 3", "MNIST-A", "II", -0.690, 0.058, N),    # the paper's own p is above 0.05
    (2, "alexnet8", "Table 3", "MNIST-A", "I", 1.0, 0.0, S),        # p = 0 read as 2/15!
    (2, "alexnet8", "Table 3", "MNIST-A", "II", -1.0, 6.65e-64, S),  # read as 2/10! = 5.5e-7
    (3, "lenet5", "Table 4", "MNIST-Test", "", -0.483, 0.187, N),   # "does not change": not significant
    (3, "alexnet8", "Table 4", "MNIST-Test", "", -0.795, 0.010, C),  # Holm 0.010 x 3 = 0.03: it does change
    (3, "lenet5", "Table 4", "MNIST-C", "", -0.533, 0.139, N),
    (3, "alexnet8", "Table 4", "MNIST-C", "", -0.900, 0.0009, S),   # Holm 0.0009 x 4 = 0.0036
    (4, "lenet5", "Table 5", "MNIST-Test", "", -0.645, 0.032, N),   # Holm 0.032 x 3 = 0.096
    (4, "lenet5", "Table 5", "MNIST-C", "", -0.682, 0.021, N),      # Holm 0.021 x 4 = 0.084
    (4, "lenet5", "Table 5", "MNIST-A", "", 0.009, 0.979, N),       # the text says it rises; r = 0.009
    (4, "alexnet8", "Table 5", "MNIST-Test", "", -0.755, 0.007, S),  # Holm 0.007 x 5 = 0.035
    (4, "alexnet8", "Table 5", "MNIST-C", "", -0.236, 0.484, N),
    (4, "alexnet8", "Table 5", "MNIST-A", "", 0.909, 0.0001, S),
    (5, "lenet5", "Table 6", "MNIST-A", "", 0.653, 1.00e-4, S),
    (5, "alexnet8", "Table 6", "MNIST-A", "", 0.850, 6.38e-10, S),
    (6, "lenet5", "Table 7", "MNIST-A", "", 0.922, 5.75e-8, S),
    (6, "alexnet8", "Table 7", "MNIST-A", "", 0.529, 0.143, N),     # the text's 'moderate', not significant
]
PAPER_VERDICTS = {1: "supported", 2: "partly supported", 3: "contradicted", 4: "partly supported",
                  5: "supported", 6: "partly supported"}


def test_the_paper_tables_give_the_verdicts_their_numbers_imply() -> None:
    published = paper.published()
    got = {}
    for number in findings.CLAIMS:
        for claim in findings.paper_claims(number, alpha=0.05):
            got[(number, claim.architecture, claim.text)] = claim.paper
    assert len(got) == len(PAPER_EXPECTED)
    specs = {n: [s for s in findings.CLAIMS[n][2] if s.kind != "level" and s.kind != "slope"] for n in findings.CLAIMS}
    for number, arch, table, testset, segment, r, p, status in PAPER_EXPECTED:
        row = published[(published["table"] == table) & (published["architecture"] == arch)
                        & (published["paper_testset"] == testset) & (published["segment"] == segment)]
        assert (row["r"].item(), row["p"].item()) == (r, p), (table, arch, testset)  # the numbers quoted above
        spec = next(s for s in specs[number] if paper.TESTSETS[testset] == s.testset and s.segment == segment)
        judged = got[(number, arch, findings._text(spec, spec.testset, findings.Thresholds()))]
        assert judged.status == status, (number, arch, testset, judged.reason)
    for number, verdict in PAPER_VERDICTS.items():
        statuses = [c.paper.status for c in findings.paper_claims(number, 0.05)]
        assert vd.summarize(statuses).split(" (")[0] == verdict, number


def test_paper_numbers_that_do_not_support_the_text_are_named() -> None:
    notes = findings._paper_notes(4, findings.paper_claims(4, 0.05))
    assert any("FGSM-benchmark accuracy rises with label errors" in n and "r = 0.009" in n and "p = 0.979" in n
               for n in notes)
    notes = findings._paper_notes(3, findings.paper_claims(3, 0.05))
    assert any("alexnet8" in n and "clean test accuracy does not change with class imbalance" in n
               and "contradicted" in n and "r = -0.795" in n for n in notes)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return io.summarize(io.read_evaluations(write_eval_csvs(tmp_path_factory.mktemp("evals"), seeds=(0, 1))))


def test_findings_on_the_synthetic_truth(summary: pd.DataFrame) -> None:
    found = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.75))
    assert [f.number for f in found] == [1, 2, 3, 4, 5, 6]
    # The synthetic truth: Gaussian training raises Gaussian-benchmark accuracy (clean model at 0.80 >= 0.75),
    # and no Gaussian-trained model reaches FGSM-benchmark accuracy 0.75.
    first = {(c.architecture, c.text): c.status for c in found[0].claims}
    assert first[("lenet5", "Gaussian-benchmark accuracy rises with training noise")] == S
    assert first[("lenet5", "no model reaches FGSM-benchmark accuracy 0.75")] == S
    # Finding 2's "falls beyond the peak" rests on segments II of 5 (alexnet8) and 4 (lenet5) points: exact p >= 1/60
    # and 1/12. Holm over the finding's 4 trend claims doubles 1/60 (0.033: supported); 1/12 can never reach 0.05.
    beyond = {c.architecture: c.judgement for c in found[1].claims if "segment II" in c.text}
    assert beyond["alexnet8"].status == S and beyond["alexnet8"].p_holm == pytest.approx(2 / 60)
    assert beyond["lenet5"].status == vd.NOT_TESTABLE and "n = 4 cannot reach alpha" in beyond["lenet5"].reason
    strict = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.9))
    assert strict[1].verdict.startswith("contradicted")  # no FGSM-trained model reaches 0.9
    # white-box accuracy of the synthetic models is low (0.1 + 0.03 f): the transfer robustness claim is not
    # reproduced white-box, and the report flags it
    best = next(c for c in found[1].claims
                if c.text.startswith("the best model reaches") and c.architecture == "lenet5")
    assert best.status == S and best.whitebox["whitebox_fgsm"].status == vd.CONTRADICTED and best.disagrees
    # RQ5/RQ6 claims on the FGSM slope are judged on its own coefficient
    slope = next(c for c in found[5].claims if "its own OLS coefficient" in c.text)
    assert slope.judgement.reason.startswith("slope = ")
    text = findings.findings_markdown(found, SETTINGS, findings.Thresholds(0.75), "synth", 2,
                                      replication.replication_table(findings.our_tables(summary, SETTINGS)))
    rows = "\n".join(line for line in text.splitlines() if line.startswith("| "))  # the claims' evidence
    assert not re.search(r"p = 0(?![.\d])", rows)  # a p is never 0, so neither is its Holm p
    for status in (S, vd.CONTRADICTED, vd.NOT_TESTABLE):
        assert f"| {status}" in text
    assert "Transfer and white-box disagree" in text and "p = 3.347 is not a probability" in text
    # each attack's family mirrors the transfer family: every claim is judged once per attack
    assert all(set(c.whitebox) == {"whitebox_fgsm", "whitebox_pgd_l2"} for f in found for c in f.claims)
    assert "| white-box FGSM accuracy in its place | white-box PGD-L2 accuracy in its place |" in text
    missing = findings.evaluate_findings(summary[summary["series"] != "rq5_dual"], SETTINGS, findings.Thresholds())
    assert missing[4].verdict == "not in this study" and not missing[4].claims


def test_replication_table_compares_every_paper_number(summary: pd.DataFrame, tmp_path: Path) -> None:
    table = replication.replication_table(findings.our_tables(summary, SETTINGS))
    # Tables 2, 4, 5: 6 rows each, Table 3: 12, each with r, p, mean, variance; Tables 6-7: 12 rows with R, p
    assert len(table) == (3 * 6 + 12) * 4 + 12 * 2
    r = table[table["quantity"] == "r"]
    assert set(r["sign_agrees"]) <= {"yes", "no", ""}
    row = r[(r["table"] == "Table 2") & (r["architecture"] == "alexnet8") & (r["testset"] == "MNIST-C")].iloc[0]
    assert row["ours"] > 0 and row["sign_agrees"] == "yes"  # synthetic Gaussian training raises MNIST-C accuracy
    inside = (row["ci_low"] <= row["paper"] <= row["ci_high"])
    assert row["paper_inside"] == ("yes" if inside else "no")
    counts = replication.counts(table)
    assert counts["signs_compared"] == len(r[r["ours"].notna() & (r["ours"] != 0)])
    assert str(counts["signs_agree"]) in replication.notes(table)[0]


def test_findings_with_seeds_one_architecture_no_clean_model_and_no_white_box(tmp_path: Path) -> None:
    data = io.read_evaluations(write_eval_csvs(tmp_path, seeds=(0, 1, 2)))
    data = data[(data["architecture"] == "lenet5") & ~data["testset"].str.startswith("whitebox")]
    per_seed = io.summarize_seeds(data)
    summary = io.summarize(data)
    tables_ = findings.our_tables(summary, SETTINGS, per_seed)
    assert tables_["rq1_gaussian"]["ci_method"].str.contains("3 seeds").all()
    found = findings.evaluate_findings(summary, SETTINGS, findings.Thresholds(robust_accuracy=0.75), tables_)
    assert {c.architecture for f in found for c in f.claims} == {"lenet5"}
    assert all(not c.whitebox for f in found for c in f.claims)
    assert all(f.whitebox_verdict("whitebox_fgsm") == "" for f in found)
    text = findings.findings_markdown(found, SETTINGS, findings.Thresholds(0.75), "one", 3)
    assert "3 seeds per training set" in text and "white-box FGSM accuracy in its place" not in text
    # without the clean model, a claim measured against it is not testable (not 'contradicted')
    no_clean = findings.evaluate_findings(summary[summary["series"] != "clean"], SETTINGS, findings.Thresholds())
    kept = next(c for c in no_clean[2].claims if "stays within" in c.text)
    assert kept.status == vd.NOT_TESTABLE


def test_replication_maps_each_paper_number_to_ours_and_checks_our_interval() -> None:
    row = {"architecture": "lenet5", "testset": "gaussian_benchmark", "n": 13, "r": 0.45, "p": 0.1, "mean": 0.86,
           "variance_ddof1": 0.01, "mean_ci_low": 0.85, "mean_ci_high": 0.87}
    for ci, inside in (((0.40, 0.60), "yes"), ((0.50, 0.60), "no")):
        table = replication.replication_table({"rq1_gaussian": pd.DataFrame([{**row, "ci_low": ci[0],
                                                                              "ci_high": ci[1]}])})
        got = table[(table["table"] == "Table 2") & (table["architecture"] == "lenet5")
                    & (table["testset"] == "MNIST-C")].set_index("quantity")
        assert got.loc["r", "paper"] == 0.489 and got.loc["r", "ours"] == 0.45  # the paper's Table 2, MNIST-C
        assert got.loc["r", "paper_inside"] == inside and got.loc["r", "sign_agrees"] == "yes"
        assert got.loc["mean", "paper"] == 0.866 and got.loc["mean", "paper_inside"] == "yes"
        assert got.loc["p", "paper_inside"] == "" and got.loc["variance", "ours"] == 0.01
        assert table[table["table"] != "Table 2"]["ours"].isna().all()  # nothing else in this study
