"""Checks before expensive work: a planned allocation larger than the job's memory is refused, naming the key."""

from __future__ import annotations

import pytest

from perturbstudy.checks import check_allocation
from perturbstudy.errors import PerturbstudyError, ResourceError

KEY = "series.rq1_gaussian.per_class"


def test_allocation_within_memory_passes():
    check_allocation(4_000 * 1_000_000, 4000, "the Gaussian directions", KEY)  # exactly mem_mb fits


@pytest.mark.parametrize("mem_mb", [None, 0])
def test_unknown_memory_is_not_checked(mem_mb):
    check_allocation(10**15, mem_mb, "the Gaussian directions", KEY)


def test_allocation_over_memory_names_the_key_bytes_and_mem_mb():
    with pytest.raises(ResourceError) as info:
        check_allocation(4_000 * 1_000_000 + 1, 4000, "the Gaussian directions (2000 x 3 x 784 float32)", KEY)
    message = str(info.value)
    assert isinstance(info.value, PerturbstudyError)
    assert message.startswith(f"{KEY}: the Gaussian directions (2000 x 3 x 784 float32) needs 4,000,000,001 bytes")
    assert "resources.mem_mb = 4,000 MB" in message
    assert f"lower {KEY}" in message and "mem_mb=N" in message
