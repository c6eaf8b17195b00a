"""The Kubernetes side of cns: API access, readings, ConfigMap documents, the agent Job.

Every module imports the ``kubernetes`` client lazily, inside functions, so importing
``cns_core.k8s.*`` stays cheap for commands that never talk to a cluster.
"""
