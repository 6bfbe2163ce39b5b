"""Returns (RMA, issue 10): authorize, edit, cancel (authorize.py), receive (receive.py), the credit memo
from a return (credit.py), giving its quantities back when that memo is discarded or voided (release.py),
reads (read.py). Locks as docs/CONCURRENCY.md orders them: a memo, then the return, then its invoice."""
