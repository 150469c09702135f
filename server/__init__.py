"""Wazify: a real-time collaborative inbox for Instagram Business direct messages."""

__version__ = "0.1.0"
