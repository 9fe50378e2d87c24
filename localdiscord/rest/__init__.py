"""REST v10: the aiohttp app, message and interaction-callback routes, application commands, replies."""
