"""The `perturbstudy` command line: `perturbstudy audit results/<study>` and `--explain <artifact>`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .audit import audit, explain


def _study_of(artifact: Path) -> Path:
    """The study folder (`results/<study>`) holding an artifact."""
    parts = artifact.absolute().parts
    if "results" in parts:
        i = len(parts) - 1 - parts[::-1].index("results")
        if i + 1 < len(parts):
            return Path(*parts[: i + 2])
    raise SystemExit(f"perturbstudy audit: cannot tell the study folder of {artifact}; pass it: "
                     "perturbstudy audit results/<study> --explain <artifact>")


def _audit(args: argparse.Namespace) -> int:
    if args.explain:
        root = Path(args.study) if args.study else _study_of(Path(args.explain))
        try:
            print(explain(root, args.explain, args.source_root))
        except KeyError as exc:
            print(f"perturbstudy audit: {exc.args[0]}", file=sys.stderr)
            return 2
        return 0
    if not args.study:
        print("perturbstudy audit: name the study folder, e.g. perturbstudy audit results/default", file=sys.stderr)
        return 2
    root = Path(args.study)
    if not root.is_dir():
        print(f"perturbstudy audit: {root} is not a folder; run the study first (snakemake)", file=sys.stderr)
        return 2
    config = None
    if args.configfile:
        from .config import load_config
        from .errors import PerturbstudyError

        try:
            config = load_config(args.configfile)
        except PerturbstudyError as exc:
            print(f"perturbstudy audit: {exc}", file=sys.stderr)
            return 2
    report = audit(root, args.source_root, config)
    print(report.summary())
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="perturbstudy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("audit", help="check every artifact of a study against its provenance records",
                       description="Re-hash every recorded artifact and walk each table and figure back to the "
                                   "datasets; exit 1 if anything is missing, modified or stale.")
    p.add_argument("study", nargs="?", help="the study folder, results/<study>")
    p.add_argument("--explain", metavar="ARTIFACT", help="print the lineage of one artifact as a tree")
    p.add_argument("--source-root", default=None, help="package source tree to hash (default: the installed one)")
    p.add_argument("--configfile", default=None, help="flag artifacts made with another config subset than this "
                                                      "config gives their rule (CONFIG)")
    p.set_defaults(func=_audit)
    return parser


# Exit status of a command whose reader went away (`perturbstudy audit ... | head -1`): 128 + SIGPIPE, like cat.
BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `perturbstudy` console script; stops quietly when stdout is closed early."""
    try:
        try:
            args = build_parser().parse_args(argv)
            return args.func(args)
        finally:  # also after --help's SystemExit: a closed pipe fails here, not in the interpreter's exit flush
            sys.stdout.flush()
    except BrokenPipeError:
        # Later flushes (at exit) must not fail again: point stdout at /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
