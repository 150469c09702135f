"""`wazify demo`: a live inbox for a newcomer, with simulated customers.

The script (what customers do) is plain data here; `wazify.cli.demo` turns each step into
a signed Meta webhook with the fake Meta's builders and runs the server beside the fake
Graph API, so the demo exercises exactly the production paths.
"""
