"""Meta (Instagram Messaging) knowledge: signatures, payloads, Graph API. No database."""
