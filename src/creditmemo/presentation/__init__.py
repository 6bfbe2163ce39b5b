"""What the edges share to present things, so neither HTTP edge imports the other (tests/test_dependency_direction.py):
the error code -> HTTP status table (statuses.py), the Content-Security-Policy (security.py), the reader's number
conventions and money formatting (locale.py, formatting.py), the printable documents, memo and customer statement,
as HTML and PDF with the print rule (documents.py, templates/, static/), and the CSV exports (csv_export.py). It uses
the domain and the services, never an edge."""
