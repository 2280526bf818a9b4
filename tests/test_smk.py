"""The script glue: a Job carries the rule's step params, named files and resources, never the config or code."""

from __future__ import annotations

from types import SimpleNamespace

from snakemake.iocontainers import Namedlist

from perturbstudy.smk import Files, job_of


def _namedlist(**named) -> Namedlist:
    out = Namedlist()
    for name, value in named.items():
        start = len(out)
        if isinstance(value, list):
            out.extend(value)
            out._set_name(name, start, len(out))
        else:
            out.append(value)
            out._set_name(name, start)
    return out


def test_job_of_takes_step_params_files_and_memory_but_not_code_or_config():
    smk = SimpleNamespace(
        params=_namedlist(step={"arch": "lenet5", "seed": 0}, code="abc", resume="r.pt"),
        input=_namedlist(splits="s.pt", trainset=[]), output=_namedlist(model="m.pt", history="h.csv"),
        threads=2, resources=SimpleNamespace(mem_mb=4000), config={"study": "x"})
    job = job_of(smk)
    assert job.params == {"arch": "lenet5", "seed": 0, "resume": "r.pt"}
    assert job.input.splits == "s.pt" and job.input.optional("trainset") is None
    assert job.output.model == "m.pt" and job.output[1] == "h.csv"
    assert (job.threads, job.mem_mb) == (2, 4000)


def test_optional_file_is_its_path_or_none():
    files = Files({"model": ["a.pt"], "none": [], "one": "b.pt"})
    assert (files.optional("model"), files.optional("none"), files.optional("one")) == ("a.pt", None, "b.pt")
    assert files.optional("absent") is None
