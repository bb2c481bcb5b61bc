"""Development tools, not part of a run: the sample, the benchmark, screenshots."""
