"""Data exports (access and portability): the format, the exporter, the routes of the jobs."""
