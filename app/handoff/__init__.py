"""The handoff from the bot to people and back: see README.md in this folder."""
