"""Reports: response times and volumes derived from durable history (docs/reports.md)."""
