"""Clients that talk to the fake: stock nextcord helpers, hand-written raw clients, an out-of-process bot."""
