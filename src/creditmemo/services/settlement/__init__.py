"""Settlement use cases: applications, payments, refunds (issue 3)."""
