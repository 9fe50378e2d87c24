# Shortcuts; ./scripts/run and ./scripts/test remain the way to set up, run and check encore.
VENV ?= .venv

.PHONY: demo chaos soak catalogues

demo:  ## the whole stack against the fake Discord: a worker is killed mid-track; writes var/demo/heard.wav
	./scripts/demo

chaos:  ## the failover tests (real processes: redis-server, gateway, workers, fake Discord, media server)
	$(VENV)/bin/pytest -q tests/chaos -p no:cacheprovider

soak:  ## 50 guilds playing, a random worker killed every 30 s for 10 minutes (bench/chaos_soak.py)
	PYTHONPATH=$(CURDIR) $(VENV)/bin/python -m bench.chaos_soak

catalogues:  ## add new messages to every reply catalogue (then translate the empty ones; tests/gateway/test_catalogues.py lists them)
	PYTHONPATH=$(CURDIR) $(VENV)/bin/python -m tests.gateway.catalogues
