"""Use cases of credit and debit memos: one module per verb, one transaction each (the caller's)."""
