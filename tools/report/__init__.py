"""The regression report: asv results read the way asv does (data), markdown (cli), HTML (html)."""
