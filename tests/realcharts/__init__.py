"""Checks of our bundles against the real upstream charts (../shared/reference/charts)."""
