"""A customer's conversation with the bot, free of any web framework (see service.py)."""
