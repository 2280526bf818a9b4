"""The config contract: every key's readers, computed from the real workflow's jobs, match config/README.md."""

from __future__ import annotations

import fnmatch

import pytest

from perturbstudy.contract import RULES, STEP_MODULE, step_params

from .contract_utils import ROOT, documented_table, is_structural, jobs, leaf_keys, load, rules_reading, with_value

CONFIGS = ("config.yaml", "smoke.yaml")
# Keys whose value in the shipped configs has no automatic change (null): the value to try instead.
EXPLICIT = {
    "analysis.level_curve_models": [{"series": "clean"}],
    "series.rq3_imbalance.majority_class": 3,
    "series.rq6_four.majority_class": 3,
    "dataset.classes": [0, 1, 2],
    "dataset.train_per_class": 100,
    "dataset.test_per_class": 50,
    "dataset.val_per_class": 20,
    "medical.training.dpaat.sync_form": "literal",
    "medical.table2_attack": "FGSM",
    "segmentation.checkpoints": [1, 3],  # [5, 10, 15, 20] and [1, 2] have no automatic integer change
}


@pytest.fixture(scope="module")
def studies():
    return {name: (load(ROOT / "config" / name), jobs(ROOT / "config" / name)) for name in CONFIGS}


def _row(table: dict[str, set[str]], key: str) -> str:
    rows = [p for p in table if fnmatch.fnmatch(key, p.replace("<arch>", "*").replace("<series>", "*"))]
    assert len(rows) == 1, f"{key} matches {rows or 'no'} row(s) of the config/README.md rerun table"
    return rows[0]


def test_every_key_reruns_what_the_table_says(studies):
    table = documented_table()
    seen: dict[str, set[str]] = {}
    for name, (config, job_list) in studies.items():
        for key, _ in leaf_keys(config):
            if is_structural(key):
                continue
            readers = rules_reading(key, config, job_list)
            if readers is None and key in EXPLICIT:
                readers = rules_reading(key, with_value(config, key, None), job_list, EXPLICIT[key])
            if readers is None:
                continue
            row = _row(table, key)
            assert readers <= table[row], f"{name}: changing {key} changes the step params of {sorted(readers)}, " \
                                          f"but the table row {row!r} says {sorted(table[row])}"
            seen.setdefault(row, set()).update(readers)  # a config without the reader (no AMAT run) reads less
    assert seen == table, {row: (sorted(seen.get(row, ())), sorted(rules)) for row, rules in table.items()
                           if seen.get(row) != rules}


def test_every_rule_has_a_step_and_params(studies):
    rules = {rule for _, job_list in studies.values() for rule, _ in job_list} - {"all", "analysis"}
    assert rules <= set(RULES), f"rules without contract params: {sorted(rules - set(RULES))}"
    assert set(STEP_MODULE) == set(RULES)
    import importlib

    for rule, module in STEP_MODULE.items():
        assert callable(getattr(importlib.import_module(f"perturbstudy.steps.{module}"), rule))


def test_params_carry_no_unread_section(studies):
    """A step's params never hold a whole config section it does not read (e.g. `series` in train); evaluate reads
    all of `whitebox`."""
    config, job_list = studies["config.yaml"]
    for rule, wc in job_list:
        if rule in RULES:
            params = step_params(rule, config, wc)
            whole = [k for k in ("series", "architectures", "medical", "benchmarks", "analysis")
                     if isinstance(params.get(k), dict) and set(params[k]) >= set(config[k])]
            assert not whole, (rule, whole)
