"""Keep of a run's downloaded artifacts only those that their own job uploaded.

Why: a bench job runs Bengal's code, which can reach that job's artifact token (the runner user
has sudo; a leftover process lives on into the upload step). It could upload an artifact under
another job's name (``run-exact-counts-<another commit>``) before that job does, and the store
would take its numbers as that commit's. GitHub's API says when each artifact was created and when
each job's steps ran, and Bengal code cannot change either: an artifact is accepted only when it is
the only one of its name, its name is one the trusted plan lists, and it was created while the
upload step of the job named ``bench <artifact>`` ran, a step that succeeded. That step comes after
the job has stopped every process it started (``tools.ci.leftovers``). Everything else is refused
with one line; what is accepted is copied to ``--out``, one directory per artifact, for
``tools.ci.store_results``.

    python -m tools.ci.artifact_trust --plan plan.json --artifacts artifacts.json \\
        --jobs jobs.json --downloaded DIR --out DIR [--summary FILE]

``artifacts.json`` and ``jobs.json`` are the API's answers for the run
(``/actions/runs/{id}/artifacts`` and ``/jobs``, all pages). Exit 0 (also when some artifacts were
refused or lost: the store records them), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

from tools.ci import commits, plan

JOB_PREFIX = "bench "  # the bench job's name: "bench <artifact>" (nightly.yml, backfill.yml)
UPLOAD_STEP = "Upload the part's run directory"  # that job's upload step, by name


class TrustError(Exception):
    """Bad input: one line, exit status 2."""


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def verdicts(tasks: list[dict], artifacts: list[dict], jobs: list[dict]) -> dict[str, str]:
    """Per planned artifact name: "" (accepted) or why it is refused or missing."""
    out: dict[str, str] = {}
    for task in tasks:
        name = str(task["artifact"])
        same = [a for a in artifacts if a.get("name") == name]
        owners = [j for j in jobs if j.get("name") == JOB_PREFIX + name]
        if not same:
            out[name] = "no artifact of that name: its job was lost, cancelled or never uploaded"
            continue
        if len(same) > 1:
            out[name] = f"{len(same)} artifacts carry that name: none is trusted"
            continue
        if len(owners) != 1:
            out[name] = f"{len(owners)} jobs are named {JOB_PREFIX + name!r}, not one"
            continue
        steps = [s for s in owners[0].get("steps") or [] if s.get("name") == UPLOAD_STEP]
        if len(steps) != 1 or steps[0].get("conclusion") != "success":
            out[name] = f"its job's step {UPLOAD_STEP!r} did not succeed"
            continue
        created = _when(same[0].get("created_at"))
        began, ended = _when(steps[0].get("started_at")), _when(steps[0].get("completed_at"))
        if created is None or began is None or ended is None:
            out[name] = "the API gave no creation time or no step times"
        elif not began <= created <= ended:
            out[name] = (
                f"created at {created:%H:%M:%S}, outside its job's upload step "
                f"({began:%H:%M:%S}-{ended:%H:%M:%S}): not that job's upload"
            )
        else:
            out[name] = ""
    return out


def _listing(path: Path, key: str) -> list[dict]:
    try:
        data = json.loads(path.read_text())
        rows = data[key]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise TypeError(key)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrustError(f"{path}: not the API's {key} listing ({exc!r})") from None
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci.artifact_trust", description=__doc__)
    parser.add_argument("--plan", type=Path, required=True, help="the select job's plan")
    parser.add_argument("--artifacts", type=Path, required=True, help="the run's artifacts (API)")
    parser.add_argument("--jobs", type=Path, required=True, help="the run's jobs (API)")
    parser.add_argument("--downloaded", type=Path, required=True, help="one dir per artifact")
    parser.add_argument("--out", type=Path, required=True, help="the accepted ones go here")
    parser.add_argument("--summary", type=Path, help="append a markdown section here")
    args = parser.parse_args(argv)
    try:
        tasks = plan.load(args.plan)
        found = verdicts(tasks, _listing(args.artifacts, "artifacts"), _listing(args.jobs, "jobs"))
    except (TrustError, commits.CommitsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, why in found.items():
        src = args.downloaded / name
        if not why and not src.is_dir():
            why = "listed by the API but not downloaded"
        if why:
            lines.append(f"{name}: refused: {why}")
            continue
        shutil.copytree(src, args.out / name, dirs_exist_ok=True)
    accepted = len(found) - len(lines)
    print(f"artifact_trust: {accepted} of {len(found)} planned artifact(s) accepted")
    for line in lines:
        print(f"::warning::{line}")
    if args.summary:
        with args.summary.open("a") as fh:
            fh.write(f"### Artifacts\n\n{accepted} of {len(found)} planned artifact(s) accepted\n")
            fh.write("\n")
            fh.write("".join(f"- {line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
