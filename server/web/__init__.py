"""What a browser gets besides the API: the web app's files (an allowlist), the API docs
page, and the security headers on every response."""
