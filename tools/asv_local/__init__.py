"""asv against a local Bengal history: the history from PyPI sdists (history), the asv wrapper
(cli) and the published site (site)."""
