"""creditmemo: an accounts-receivable service for credit and debit memos on a double-entry ledger."""

__version__ = "0.1.0"
