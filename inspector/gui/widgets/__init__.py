"""Small widgets the pages are built from: charts, the message bar, status widgets."""
