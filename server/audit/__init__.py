"""The audit log: who did what, to what, from where, when (read side; entries are written
by the write path, in the same transaction as the change they record)."""
