"""Voice: gateway-side routing, voice servers (v8 websocket over TLS + UDP), DAVE/MLS, RTP, Opus and captures."""
