"""The compare run's trusted inputs, recorded before any Bengal code runs.

Why: the compare job runs a Bengal pull request's code, which can rewrite every file that job
writes. A first job (``trusted-inputs``) validates the dispatch's inputs, resolves both commits and
uploads this record as its own artifact, ``compare-meta``; comment.yml takes the commits and the PR
number from here (cross-checked with the run's name), never from what the compare job wrote.

    python -m tools.ci.compare_meta --out compare-meta/meta.json --repository OWNER/NAME \\
        --run-id N --pr N|'' --base SHA --head SHA --profile pr --factor ''|F \\
        --pythons '3.14 3.14t' --machine gha-ubuntu-x64 [--github-output]

Exit status 2 with one line on stderr when an input is malformed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.ci import github_output

# The profiles that fit the compare job's limit (two commits on one runner): the nightly profile
# costs over 2 h per commit (docs/local-and-ci.md) and is refused.
PROFILES = ("smoke", "pr")
SHA = re.compile(r"[0-9a-f]{40}")
PR = re.compile(r"[1-9][0-9]{0,9}")
FACTOR = re.compile(r"[1-9][0-9]?(\.[0-9]{1,3})?")  # asv's --factor: a ratio, 1 or more
PYTHON = re.compile(r"3\.[0-9]{1,2}t?")  # an asv "pythons" entry: 3.14, or 3.14t free-threaded
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_BYTES = 4096


class MetaError(Exception):
    """A malformed input or record: one line."""


@dataclass(frozen=True)
class Meta:
    repository: str  # owner/name of this benchmark repository
    run_id: int  # the compare run that wrote it
    pr: int | None  # the Bengal pull request, None for a plain base..head comparison
    base: str  # full SHA
    head: str  # full SHA
    profile: str
    factor: str  # "" = the per-family thresholds of asv.conf.json
    pythons: tuple[str, ...]
    machine: str


def parse_pythons(text: str) -> tuple[str, ...]:
    """``"3.14 3.14t"`` or ``"3.14,3.14t"`` → ``("3.14", "3.14t")``; MetaError when malformed."""
    pythons = tuple(p for p in re.split(r"[\s,]+", text.strip()) if p)
    if not pythons:
        raise MetaError("no python given (e.g. 3.14, or '3.14 3.14t')")
    for python in pythons:
        if not PYTHON.fullmatch(python):
            raise MetaError(f"python {python!r} is not a version like 3.14 or 3.14t")
    if len(set(pythons)) != len(pythons):
        raise MetaError(f"python listed twice in {text!r}")
    return pythons


def make(record: dict) -> Meta:
    """A Meta from ``record`` (the JSON or the command line's values), every field checked."""
    expected = {f for f in Meta.__dataclass_fields__}
    if set(record) != expected:
        raise MetaError(f"fields {sorted(record)} are not {sorted(expected)}")
    checks = [
        ("repository", isinstance(record["repository"], str)
         and REPOSITORY.fullmatch(record["repository"])),
        ("run_id", type(record["run_id"]) is int and record["run_id"] > 0),
        ("pr", record["pr"] is None
         or (type(record["pr"]) is int and PR.fullmatch(str(record["pr"])))),
        ("base", isinstance(record["base"], str) and SHA.fullmatch(record["base"])),
        ("head", isinstance(record["head"], str) and SHA.fullmatch(record["head"])),
        ("profile", record["profile"] in PROFILES),
        ("factor", isinstance(record["factor"], str)
         and (record["factor"] == "" or FACTOR.fullmatch(record["factor"]))),
        ("pythons", isinstance(record["pythons"], (list, tuple)) and record["pythons"]
         and all(isinstance(p, str) and PYTHON.fullmatch(p) for p in record["pythons"])),
        ("machine", isinstance(record["machine"], str) and NAME.fullmatch(record["machine"])),
    ]  # fmt: skip
    for field, ok in checks:
        if not ok:
            raise MetaError(f"{field} {record[field]!r} is malformed")
    return Meta(**{**record, "pythons": tuple(record["pythons"])})


def load(path: Path) -> Meta:
    """The record compare-meta carries; MetaError when missing, oversized or malformed."""
    if not path.is_file():
        raise MetaError(f"{path} is missing (no compare-meta artifact from trusted-inputs)")
    if path.stat().st_size > MAX_BYTES:
        raise MetaError(f"{path} is over {MAX_BYTES} bytes")
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetaError(f"{path} is not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise MetaError(f"{path} is not a JSON object")
    return make(record)


def from_inputs(args: argparse.Namespace) -> Meta:
    pr = args.pr.strip()
    if pr and not PR.fullmatch(pr):
        raise MetaError(f"pr {pr!r} is not a pull request number")
    if not args.run_id.isdigit():
        raise MetaError(f"run id {args.run_id!r} is not a number")
    return make(
        {
            "repository": args.repository,
            "run_id": int(args.run_id),
            "pr": int(pr) if pr else None,
            "base": args.base,
            "head": args.head,
            "profile": args.profile,
            "factor": args.factor.strip(),
            "pythons": list(parse_pythons(args.pythons)),
            "machine": args.machine,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.compare_meta", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repository", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--pr", default="")
    parser.add_argument("--base", required=True, help="full SHA")
    parser.add_argument("--head", required=True, help="full SHA")
    parser.add_argument("--profile", required=True, choices=PROFILES)
    parser.add_argument("--factor", default="")
    parser.add_argument("--pythons", default="3.14")
    parser.add_argument("--machine", required=True)
    parser.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        meta = from_inputs(args)
    except MetaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    record = {**asdict(meta), "pythons": list(meta.pythons)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record))
    if args.github_output and not github_output.write(
        pr=meta.pr or "",
        base=meta.base,
        head=meta.head,
        profile=meta.profile,
        factor=meta.factor,
        pythons=" ".join(meta.pythons),
    ):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
