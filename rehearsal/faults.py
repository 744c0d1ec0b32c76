"""What goes wrong on real nights, done to a rehearsal's run while it runs.

Why: a lost runner, a lost upload and a forged artifact are the cases the ledger and the store's
trust check exist for, and none of them happens by itself on one machine. ``Faults`` watches the
run's log (``rehearsal.act.run``'s ``watch``) and, at the moment it would happen on GitHub:

- ``kill``: SIGKILLs every process of that bench job's part some seconds after it started (a
  runner lost midway: nothing is stopped cleanly, whatever the job uploads after it is partial);
- ``lose``: deletes that job's artifact from act's artifact server once the job has ended (an
  upload GitHub lost, or one that expired before the store ran);
- ``forge``: once that job has ended, writes an artifact under its name (fabricated numbers), as
  another job's Bengal code could with its own token.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from rehearsal import act
from tools.ci import leftovers


@dataclass
class Faults:
    artifacts: Path  # act's artifact server directory
    run_id: int
    kill: str = ""  # artifact names of the jobs to hit
    lose: str = ""
    forge: str = ""
    kill_after_s: float = 20.0
    done: list[str] = field(default_factory=list)  # what was done, one line each
    armed: bool = False

    def __call__(self, entry: dict) -> None:
        name = act.job_name(entry)
        msg = str(entry.get("msg", ""))
        starts = msg.startswith("bench_commits: ") and "(limit" in msg
        if self.kill and name == f"bench {self.kill}" and starts and not self.armed:
            self.armed = True
            threading.Thread(target=self._kill_later, daemon=True).start()
        if "jobResult" not in entry:
            return
        if self.lose and name == f"bench {self.lose}":
            shutil.rmtree(self.artifacts / str(self.run_id) / self.lose, ignore_errors=True)
            self.done.append(f"lose {self.lose}: deleted")
        if self.forge and name == f"bench {self.forge}":
            self._forge(self.forge)

    def _kill_later(self) -> None:
        time.sleep(self.kill_after_s)
        procs = leftovers.marked(f"{self.run_id}-{self.kill}")
        for proc in procs:
            with contextlib.suppress(psutil.Error):  # gone already
                proc.kill()
        self.done.append(f"kill {self.kill}: {len(procs)} process(es) killed")

    def _forge(self, name: str) -> None:
        """The job's own artifact, rewritten now with every number doubled: well-formed results
        of the planned commit and machine, which only their creation time gives away."""
        path = self.artifacts / str(self.run_id) / name / f"{name}.zip"
        if not path.exists():
            self.done.append(f"forge {name}: no artifact to forge")
            return
        with zipfile.ZipFile(path) as zf:
            files = {n: zf.read(n) for n in zf.namelist()}
        time.sleep(1.5)  # past the second in which the job's upload step ended
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in files.items():
                zf.writestr(member, _doubled(member, data))
        self.done.append(f"forge {name}: rewritten")


def _doubled(member: str, data: bytes) -> bytes:
    if not member.endswith(".json") or member.endswith(("machine.json", "benchmarks.json")):
        return data
    doc = json.loads(data)
    for row in (doc.get("results") or {}).values() if isinstance(doc, dict) else []:
        if isinstance(row, list) and row and isinstance(row[0], list):
            row[0] = [v * 2 if isinstance(v, int | float) else v for v in row[0]]
    return json.dumps(doc).encode()
