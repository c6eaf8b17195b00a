"""Jinja2 templates for bundle files and pages. Installed as the ``cns_templates`` package."""
