# The two commands of the README: `make run` and `make test`. Each installs
# what is missing (scripts/install-deps.sh), builds, and does its job.

BUILD      ?= build
JOBS       ?= $(shell nproc)
DEMO_DB    ?= var/demo.db
LISTEN     ?= 127.0.0.1:8080
CMAKE_ARGS ?=

.PHONY: all deps web build test unit-test e2e-test run bench sanitize fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

# The UI is built only when its sources changed since the last build.
web: deps
	@if [ ! -f web/dist/index.html ] || [ -n "$$(find web/src web/index.html web/package.json web/vite.config.ts -newer web/dist/index.html 2>/dev/null | head -1)" ]; then \
	  cd web && npm run build --silent; \
	fi

build: deps web
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS) >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

unit-test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

e2e-test: build
	cd e2e && PLUMB_BIN=$(CURDIR)/$(BUILD)/plumb node --test

test: unit-test e2e-test

run: build
	@mkdir -p $(dir $(DEMO_DB))
	@if [ ! -f $(DEMO_DB) ]; then $(BUILD)/plumb init --db $(DEMO_DB); fi
	@# Adds the demo projects a database from an earlier demo lacks; idempotent.
	@$(BUILD)/plumb demo --db $(DEMO_DB) --demo-dir demo
	@echo "Plumb: open http://$(LISTEN) and sign in as annotator / annotator-pass-1 (or manager / manager-pass-1)"
	$(BUILD)/plumb serve --db $(DEMO_DB) --listen $(LISTEN) --web-root web/dist --media-root demo

bench: build
	bash bench/run.sh $(BUILD)

sanitize: deps web
	$(MAKE) unit-test BUILD=build-asan CMAKE_ARGS="-DPLUMB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

FUZZ_SECONDS ?= 60
fuzz: deps
	bash fuzz/run.sh $(FUZZ_SECONDS)

format:
	find src tests bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz web/dist
