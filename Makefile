# `make demo` and `make test` set everything up on a fresh machine first (scripts/setup.sh).
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export VLLM_CPU_KVCACHE_SPACE ?= 1

.PHONY: setup demo test lint bench

setup:
	@bash scripts/setup.sh

demo: setup
	$(BIN)/enhanced-vllm demo

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q -rs --durations=10

bench: setup
	$(BIN)/enhanced-vllm bench cache --json
	$(BIN)/enhanced-vllm bench langchain --json
