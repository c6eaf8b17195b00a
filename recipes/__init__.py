"""Embedded recipe data (YAML). Installed as the ``cns_recipes`` package so it ships in the wheel."""
