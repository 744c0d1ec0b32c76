"""A rehearsal of the GitHub workflows, end to end, on one machine (act, offline).

Why: the workflows are where the suite runs for its users, and what passes between their jobs
(artifacts, outputs, the results branch, GitHub's API) can only be seen by running them. A
rehearsal builds a world of local stand-ins (``world``), answers GitHub's API on 127.0.0.1 and
writes down every request (``github``), runs each workflow under act (``act``) with cheap
settings that leave the workflows' logic as it is (``scenarios``), and checks what came out.

    python -m rehearsal [ci compare comment nightly backfill bisect] [--work DIR]
"""
