"""A console script pip wrote for an interpreter whose path is too long for a shebang is counted.

pip then writes a ``#!/bin/sh`` trampoline that execs the interpreter; valgrind does not follow
exec, so the work ran uncounted and exited 0 (an asv env deep under act's work folder did this
to every instruction count of the rehearsed compare job). ``driver.interpreted`` runs the script
by its interpreter instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import driver
from driver import instructions


def test_a_trampolined_script_is_counted_when_run_by_its_interpreter(valgrind, tmp_path) -> None:
    env = tmp_path / ("a-long-folder-name-" * 6) / "env"  # > 127 characters to bin/python
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    script = env / "bin" / "pip"
    assert script.read_text().startswith("#!/bin/sh"), "pip wrote a plain shebang: path too short"
    argv = driver.interpreted([str(script), "--version"])
    assert Path(argv[0]).parent == env / "bin" and argv[1:] == [str(script), "--version"]
    assert driver.interpreted(argv) == argv  # an interpreter is not a script

    def counted(command: list[str]) -> bool:
        out, log = tmp_path / "cg.out", tmp_path / "vg.log"
        out.unlink(missing_ok=True)
        proc = subprocess.run(
            [*instructions.cachegrind_argv(valgrind, out, log), *command],
            capture_output=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return out.exists() and instructions.read_instructions(out) > 10_000_000

    assert not counted([str(script), "--version"])  # the trampoline: exit 0, nothing counted
    assert counted(argv)


def test_a_plain_script_is_left_as_it_is(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text(f"#!{sys.executable}\nprint('x')\n")
    assert driver.interpreted([str(script), "a"]) == [str(script), "a"]
    assert driver.interpreted([str(tmp_path / "missing")]) == [str(tmp_path / "missing")]
