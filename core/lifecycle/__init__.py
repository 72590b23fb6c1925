"""The one request lifecycle every service type goes through (DESIGN §4)."""
