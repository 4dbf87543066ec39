"""The customer chat: Chainlit handlers and the data layer that persists their threads."""
