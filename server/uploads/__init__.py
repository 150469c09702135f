"""Attachments sent from the composer: checked, stored, served to Meta (docs/attachments.md)."""
