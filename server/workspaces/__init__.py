"""The workspace itself: its name, message retention and deletion, as admins manage them."""
