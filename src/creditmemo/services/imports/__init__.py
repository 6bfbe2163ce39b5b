"""Bulk imports from other systems (issue 13): invoices from a billing platform, CSV or JSON."""
