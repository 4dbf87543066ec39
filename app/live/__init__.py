"""Live events between the parts of the app that must react at once (see bus.py)."""
