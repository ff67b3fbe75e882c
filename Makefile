# flowcast: every target installs what it needs first (Debian packages, npm packages, builds).
# `make run` runs the agent; `make test` runs every test. Both are idempotent; run them as root.

# What building needs, and what the tests and benchmarks use besides.
APT_BUILD := clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config make g++ python3 bpftool
APT_TEST := bpftool iproute2 iputils-ping nats-server iperf3 util-linux openssl nfdump nftables python3-avro
APT_LINT := clang-format
ARCH := $(shell uname -m)
BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Werror -I/usr/include/$(ARCH)-linux-gnu -Ibpf
TS_SOURCES := $(shell find src -name '*.ts')
TESTS := $(shell find test -name '*.test.ts' 2>/dev/null | sort)
C_SOURCES := $(wildcard bpf/*.c bpf/*.h native/src/*.cc native/src/*.h)

.PHONY: all deps build generate native ts tools lint test run bench clean docs
all: build

deps: build/.apt-ok node_modules/.package-lock.json

# Installs whichever of the packages are missing (dpkg-query is cheap; apt runs only when needed).
define apt_ensure
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@mkdir -p build && touch $(2)
endef

build/.apt-ok: Makefile
	$(call apt_ensure,$(APT_BUILD),$@)

build/.apt-test-ok: Makefile
	$(call apt_ensure,$(APT_TEST),$@)

build/.apt-lint-ok: Makefile
	$(call apt_ensure,$(APT_LINT),$@)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-fund --no-audit

build: generate native ts tools

generate: build/flowcast.bpf.o build/flowcast-extras.bpf.o build/flowcast.skel.h build/flowcast-extras.skel.h
build/flowcast.bpf.o: bpf/flowcast.bpf.c bpf/flow.h bpf/tcp_flags.h bpf/dns.h bpf/filter.h bpf/written.h | build/.apt-ok
	clang $(BPF_CFLAGS) -c $< -o $@

# The drops and RTT programs read kernel structs (CO-RE): their types come from this machine's BTF.
build/vmlinux.h: | build/.apt-ok
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@
build/flowcast-extras.bpf.o: bpf/extras.bpf.c bpf/flow.h bpf/filter.h bpf/tcp_flags.h bpf/written.h build/vmlinux.h | build/.apt-ok
	clang $(BPF_CFLAGS) -Ibuild -c $< -o $@

# The addon's typed access to each object (maps, programs, .rodata), with the object embedded.
# The skeleton's struct is named *_bpf: `flowcast` is the addon's C++ namespace.
build/flowcast.skel.h: build/flowcast.bpf.o
	bpftool gen skeleton $< name flowcast_bpf > $@.tmp && mv $@.tmp $@
build/flowcast-extras.skel.h: build/flowcast-extras.bpf.o
	bpftool gen skeleton $< name flowcast_extras_bpf > $@.tmp && mv $@.tmp $@

native: native/build/Release/flowcast.node
native/build/Release/flowcast.node: native/binding.gyp $(wildcard native/src/*) bpf/flow.h build/flowcast.skel.h build/flowcast-extras.skel.h | deps
	npm run --silent build:native >build/native.log 2>&1 || (cat build/native.log; exit 1)

ts: dist/.built
# The configuration's validator: ajv standalone code generated from the schema, committed (tools run
# the sources through tsx; test/config/validator.test.ts fails when it is stale). The agent then
# neither loads ajv nor compiles the schema at start.
VALIDATOR := src/config/config-validator.generated.js
$(VALIDATOR): schemas/config.schema.json src/config/validator-build.ts src/config/schema-keywords.ts src/config/schema.ts | deps
	node --import tsx src/config/validator-build.ts
# tsc never removes the output of a source that moved or was deleted: start from an empty dist.
dist/.built: $(TS_SOURCES) $(VALIDATOR) tsconfig.json | deps
	rm -rf dist
	npx tsc -p tsconfig.json
	@touch $@

tools: build/udpgen
build/udpgen: test/tools/udpgen.c | build/.apt-ok
	gcc -O2 -Wall -Wextra -o $@ $<

# The stage rule of docs/architecture.md (.dependency-cruiser.cjs), typescript-eslint, and the
# formatters' checks: prettier for TypeScript (`npm run format` fixes), clang-format for C
# (`clang-format -i` fixes).
lint: deps build/.apt-lint-ok
	npx depcruise src
	npx eslint .
	npm run --silent format:check
	clang-format --dry-run -Werror $(C_SOURCES)

test: lint build build/.apt-test-ok
	npx tsc -p tsconfig.test.json
	node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(TESTS)

run: build
	NODE_OPTIONS="--max-semi-space-size=4 --v8-pool-size=1" MALLOC_ARENA_MAX=1 node bin/flowcast-agent.js

bench: build build/.apt-test-ok
	node --import tsx bench/capture.ts
	node --import tsx bench/kernel-cost.ts
	node --import tsx bench/cost.ts
	node --import tsx bench/pipeline.ts
	node --import tsx bench/grpc.ts
	node --import tsx bench/collector.ts
	node --import tsx bench/fleet.ts

clean:
	rm -rf build native/build dist

# docs/config.md is written from schemas/config.schema.json (a test fails when it is stale).
docs: deps
	node --import tsx -e "import('./src/config/help.ts').then((m) => process.stdout.write(m.configMarkdown()))" > docs/config.md
