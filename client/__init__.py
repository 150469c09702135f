"""The agents' web app (plain ES modules, HTML and CSS), shipped as package data."""
