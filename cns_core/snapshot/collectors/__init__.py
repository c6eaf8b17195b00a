"""Collectors: each returns one Measurement (OS, SystemD, GPU; K8s lives in cns_core.k8s)."""
