"""The vocabulary of edits shared by the benchmarks, the profiler and the dev-loop measurements.

One name per kind of user edit; ``apply_edit`` maps it to the ``Mutator`` method that makes it.
"""

from __future__ import annotations

from pathlib import Path

from .mutate import Change, Mutator

# Edits that keep the site's structure, in the order reports list them.
EDITS = ("noop", "one_page", "batch", "asset", "config")
# Edits that add or remove a page.
STRUCTURE_EDITS = ("add_page", "delete_page")


def apply_edit(root: Path, edit: str, *, batch_pages: int, salt: str) -> Change | None:
    """Edit the site at ``root`` the way a user would; ``noop`` edits nothing (returns None).

    ``salt`` must differ between edits of copies restored from one snapshot (see ``Mutator``).
    """
    if edit not in (*EDITS, *STRUCTURE_EDITS):
        raise ValueError(f"unknown edit {edit!r}: expected one of {(*EDITS, *STRUCTURE_EDITS)}")
    if edit == "noop":
        return None
    mutator = Mutator(root, salt=salt)
    if edit == "batch":
        return mutator.edit_pages(batch_pages)
    return {
        "one_page": mutator.edit_page,
        "asset": mutator.edit_asset,
        "config": mutator.change_config,
        "add_page": mutator.add_page,
        "delete_page": mutator.delete_page,
    }[edit]()
