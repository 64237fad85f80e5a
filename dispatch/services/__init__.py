"""The domain: plain functions that views and RQ jobs both call. They flush, never commit."""
