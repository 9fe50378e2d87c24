"""A fake Discord for tests: REST, gateway, voice gateway over TLS, UDP/RTP and DAVE, on 127.0.0.1."""
