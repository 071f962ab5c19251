# OmniEdit-OFX. The README's two commands are `make demo` and `make test`; both work on a fresh
# Debian 12 machine (missing Debian packages are installed when run as root).
SHELL := /bin/bash
PREFIX ?= /usr/OFX/Plugins
BUNDLE := build/OmniEdit.ofx.bundle
BINARY := $(BUNDLE)/Contents/Linux-x86-64/OmniEdit.ofx
# One release build serves the bundle, the tools and the tests (numerical tests need optimised code).
SWIFT_BUILD := swift build -c release -Xswiftc -enable-testing --scratch-path .build
BIN := .build/release
APT_PACKAGES := pkg-config libopenblas-dev libsndfile1-dev libavutil-dev libavformat-dev libavcodec-dev \
	libswscale-dev libswresample-dev libvulkan-dev glslc spirv-tools mesa-vulkan-drivers libpng-dev \
	python3 python3-venv gcc slurm-wlm munge

.PHONY: all bundle tools deps install uninstall demo test lint clean icons farm-tools sanitize fuzz

all: bundle

# Installs the Debian packages the build needs, if any is missing and we may (root).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:" $$missing; \
			DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
		else \
			echo "missing Debian packages (run as root or install them): $$missing"; exit 1; \
		fi; \
	fi

bundle: deps
	$(SWIFT_BUILD) --product OmniEditOFX
	rm -rf $(BUNDLE)
	mkdir -p $(BUNDLE)/Contents/Linux-x86-64 $(BUNDLE)/Contents/Resources
	cp $(BIN)/libOmniEditOFX.so $(BINARY)
	strip --strip-unneeded $(BINARY)
	cp plugin-manifest/Info.plist $(BUNDLE)/Contents/
	cp -r plugin-manifest/Resources/. $(BUNDLE)/Contents/Resources/
	@echo "built $(BUNDLE)"

tools: deps
	$(SWIFT_BUILD) --product ofx-host
	$(SWIFT_BUILD) --product omniedit

install: bundle
	mkdir -p $(PREFIX)
	rm -rf $(PREFIX)/OmniEdit.ofx.bundle
	cp -r $(BUNDLE) $(PREFIX)/
	@echo "installed $(PREFIX)/OmniEdit.ofx.bundle"

uninstall:
	rm -rf $(PREFIX)/OmniEdit.ofx.bundle

# The main job: LipSync on the example clip with the built-in model.
demo: bundle tools
	@bash Examples/demo.sh "$(BIN)/ofx-host" "$(BUNDLE)" "$(BIN)/omniedit"

lint:
	tools/lint

# openjd-cli (pinned in Examples/farm/requirements.txt) for the Open Job Description example and its test.
FARM_VENV := .build/farm-venv
farm-tools: $(FARM_VENV)/bin/openjd
$(FARM_VENV)/bin/openjd: Examples/farm/requirements.txt | deps
	rm -rf $(FARM_VENV)
	python3 -m venv $(FARM_VENV)
	$(FARM_VENV)/bin/pip install -q -r Examples/farm/requirements.txt

test: lint bundle tools farm-tools
	$(SWIFT_BUILD) --build-tests
	OMNIEDIT_BUNDLE=$(CURDIR)/$(BUNDLE) OMNIEDIT_OFX_HOST=$(CURDIR)/$(BIN)/ofx-host OMNIEDIT_TOOL=$(CURDIR)/$(BIN)/omniedit \
		OMNIEDIT_OPENJD=$(CURDIR)/$(FARM_VENV)/bin/openjd \
		swift test -c release -Xswiftc -enable-testing --scratch-path .build --skip-build --disable-swift-testing

# The suites that read files a user points us at (checkpoints, hostile headers, PyTorch pickles, audio,
# images and video), the host, and the concurrent caches/jobs, built and run once under AddressSanitizer
# and once under ThreadSanitizer, each in its own scratch folder (only these targets are built).
SANITIZERS ?= address thread
SANITIZE_TARGETS := ModelsTests,MediaTests,VideoIOTests,OFXHostTests,PipelineTests,UserMessagesTests
SANITIZE_FILTER := ModelsTests.(WeightsSafetensorsTests|WeightsCheckpointTests|HostileCheckpointTests|TorchCheckpointTests)|MediaTests.AudioFileTests|VideoIOTests|OFXHostTests|PipelineTests.(ModelFolderTests|LipSyncJobTests/testTwoJobsAtOnce)|UserMessagesTests
sanitize: deps
	@for s in $(SANITIZERS); do \
		echo "== $$s sanitizer"; \
		ASAN_OPTIONS=detect_leaks=0 OMNIEDIT_TARGETS=$(SANITIZE_TARGETS) swift build -c release --sanitize=$$s -Xswiftc -enable-testing \
			--scratch-path .build-$$s --manifest-cache local --build-tests || exit 1; \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		OMNIEDIT_TARGETS=$(SANITIZE_TARGETS) swift test -c release --sanitize=$$s -Xswiftc -enable-testing \
			--scratch-path .build-$$s --manifest-cache local --skip-build --disable-swift-testing --filter '$(SANITIZE_FILTER)' || exit 1; \
	done

# libFuzzer harnesses (Sources/fuzz-*), each run FUZZ_SECONDS from its seed corpus (tools/fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz/run

icons:
	python3 tools/make_icons.py

clean:
	rm -rf build .build .build-address .build-thread .build-fuzz
