"""Placeholder: routes are added here by the feature that owns this module."""
