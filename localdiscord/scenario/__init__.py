"""The scenario API tests drive: build the world, invoke interactions, watch voice, inject gateway faults."""
