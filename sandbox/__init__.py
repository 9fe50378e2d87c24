"""encore without Discord: the gateway and workers against the local Discord, driven from a page in the browser."""
