"""Returns (RMA, issue 10): authorize, edit, cancel (authorize.py), receive (receive.py), the credit memo
from a return and giving its quantities back when that memo is discarded or voided (credit.py), reads
(read.py). Locks as docs/CONCURRENCY.md orders them: the return, then its invoice."""
