# Efficient Dataset Annotator — build, run and test.
#   make run    install missing packages, build, run the main job on the bundled sample
#   make test   install missing packages, build, run every test (Swift and C)
SHELL := /bin/bash
.DEFAULT_GOAL := run

# OpenBLAS reads its kernel choice when it loads, so it must be in the environment of
# every process started from here. The CPU's flags decide (an environment may preset a
# slower kernel set); ANNOTATOR_OPENBLAS_CORETYPE overrides. The annotator binary does the
# same for itself.
DETECTED_CORETYPE := $(shell scripts/openblas-coretype.sh)
ifneq ($(ANNOTATOR_OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE := $(ANNOTATOR_OPENBLAS_CORETYPE)
else ifneq ($(DETECTED_CORETYPE),)
export OPENBLAS_CORETYPE := $(DETECTED_CORETYPE)
endif

SWIFT ?= swift
RELEASE_BIN := .build/release/annotator
DEBUG_BIN := .build/debug/annotator
C_BUILD := build/c

.PHONY: deps build build-debug run test swift-test c-client c-client-test protos bench bench-engine clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product annotator

build-debug: deps
	$(SWIFT) build --build-tests

run: build
	scripts/run-sample.sh $(RELEASE_BIN)

# The C client test runs first so that the last summary line is XCTest's, covering the
# whole Swift suite (the suite uses XCTest only).
test: build-debug c-client
	scripts/c-client-test.sh $(DEBUG_BIN) $(C_BUILD)/c_client_test Tests/Fixtures/metrics
	scripts/cli-smoke-test.sh $(DEBUG_BIN)
	$(SWIFT) test --skip-build --disable-swift-testing

c-client: deps
	$(MAKE) -C clients/c BUILD=$(CURDIR)/$(C_BUILD)

# Regenerates Swift (swift-protobuf) and C (protobuf-c) code from Protos/. Needs
# protoc-gen-swift; scripts/generate-protos.sh builds it once into .build-protoc/.
protos:
	scripts/generate-protos.sh

bench: build
	$(RELEASE_BIN) bench rpc
	$(RELEASE_BIN) bench metrics
	$(RELEASE_BIN) bench engine

# The learning engine's benchmark next to PyTorch on the same workload (needs torch).
bench-engine: build
	$(RELEASE_BIN) bench engine --compare-pytorch

clean:
	rm -rf .build build
