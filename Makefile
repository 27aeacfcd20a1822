# SPDX-License-Identifier: GPL-3.0-or-later
# A thin wrapper over meson: `make run` and `make test` are the README's
# two commands.

BUILD      ?= _build
TESTBUILD  ?= _build-test
DATA_DIR   ?= $(HOME)/.local/share/tessera/server
LISTEN     ?= 127.0.0.1:8080

.PHONY: all setup build run run-server test bench clean

all: build

setup:
	./tools/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Dtests=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job on the embedded default. On a desktop: the app, which runs
# the bundled tessera-server itself ("This computer"). Without a display:
# the local API host on loopback, in the foreground.
run: build
	@if [ -n "$$WAYLAND_DISPLAY$$DISPLAY" ]; then \
	  TESSERA_SERVER=$(CURDIR)/$(BUILD)/src/server/local/tessera-server \
	  GSETTINGS_SCHEMA_DIR=$(CURDIR)/$(BUILD)/data \
	  $(BUILD)/src/app/tessera; \
	else \
	  $(MAKE) --no-print-directory run-server; \
	fi

run-server: build
	$(BUILD)/src/server/local/tessera-server --data-dir "$(DATA_DIR)" --listen $(LISTEN)

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) -Dwerror_ci=true -Db_sanitize=address,undefined

test: setup $(TESTBUILD)/build.ninja
	./tools/fetch-test-images.sh
	ninja -C $(TESTBUILD)
	meson test -C $(TESTBUILD) --print-errorlogs --no-rebuild --timeout-multiplier 3 || true
	./tools/test-summary.py $(TESTBUILD)/meson-logs/testlog.json

bench: setup
	./bench/run.sh

clean:
	rm -rf $(BUILD) $(TESTBUILD)
