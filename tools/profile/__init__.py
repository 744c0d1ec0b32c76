"""Profiles of one Bengal build at any commit: the orchestration in this venv (cli), the build in
the Bengal virtualenv (runner)."""
