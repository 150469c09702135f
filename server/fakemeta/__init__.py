"""A fake Meta for tests, benchmarks and the demo mode.

`webhooks` builds real-shaped, signed webhook bodies; `graph` serves a fake Graph API
(Litestar app, in-memory state, control API under /_fake/).
"""
