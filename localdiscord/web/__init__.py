"""The local Discord in a browser: a page to act as a guild's members, use the bot's commands and hear it."""
