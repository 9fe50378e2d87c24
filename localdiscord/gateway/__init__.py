"""Gateway v10: the hub that accepts websockets and the sessions that survive reconnects."""
