"""The simulated Discord's data: guilds, channels, members, messages, snowflakes and interactions."""
