"""Bisect a step in an instruction count to the commit that made it (``python -m tools.bisect``)."""
