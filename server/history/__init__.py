"""History imports and resyncs through the Conversations API (docs/history.md)."""
