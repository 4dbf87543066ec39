"""Ground floor: settings, errors, text helpers and other modules every layer may use.

Nothing here imports another floor of the app.
"""
