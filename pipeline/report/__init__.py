"""Report: the validated marts -> HTML, PDF, charts and CSV per edition."""
