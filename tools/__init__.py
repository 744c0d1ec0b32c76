"""Tools that turn benchmark results into action: history, profiling, reports, CI."""
