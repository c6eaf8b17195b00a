"""Collectors: each returns one Measurement (OS, SystemD, GPU, K8s)."""
