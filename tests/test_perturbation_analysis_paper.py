"""The paper's printed statistics: p-values checked against their r (or R) and n."""

from __future__ import annotations

import pytest

from perturbstudy.perturbation.analysis import paper


def test_paper_consistency_flags_the_impossible_table2_p() -> None:
    check = paper.consistency()
    flagged = check[check["erratum"] != ""]
    assert list(zip(flagged["table"], flagged["architecture"], flagged["paper_testset"], strict=True)) == [
        ("Table 2", "lenet5", "MNIST-A")]
    assert flagged["implied_p"].iloc[0] == pytest.approx(3.4e-5, rel=0.1)  # the printed 3.347 lost "e-5"
    # Table 6's p-values fit n = 36 (6 x 6), not the 26 the text mentions.
    assert paper.implied_p("Table 6", 0.653, 36) == pytest.approx(1.0e-4, rel=0.3)
