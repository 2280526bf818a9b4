"""Rule entry points: one module per workflow/rules/*.smk file; the step of rule X is `steps.<file>.X`,
called as `X(job)` with the job's params, input, output and threads (see `perturbstudy.smk`)."""
