"""The agent console at /console: sign-in, the queue, conversations, live updates (routes.py)."""
