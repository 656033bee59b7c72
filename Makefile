# daemonctl — build, test and benchmark targets. `make help` lists them.
GO        ?= go
BUILD     := build
STATICCHECK_VERSION := v0.8.2
export CGO_ENABLED ?= 0

.PHONY: help build demo deps test e2e check lint fuzz fuzz-smoke bench bench-smoke clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build daemonctl, daemonctl-build (gen, lint, package) and echod into build/
	$(GO) build -trimpath -o $(BUILD)/daemonctl ./cmd/daemonctl
	$(GO) build -trimpath -o $(BUILD)/daemonctl-build ./cmd/daemonctl-build
	# echod as distributions build Go: PIE, dynamically linked, full RELRO (lintian and rpmlint clean).
	CGO_ENABLED=1 $(GO) build -trimpath -buildmode=pie -ldflags='-s -w -linkmode=external -extldflags=-Wl,-z,relro,-z,now' -o $(BUILD)/echod ./cmd/echod

demo: build ## the main job on the bundled example: unit, init script, .deb and .rpm in dist/
	$(BUILD)/daemonctl lint -f examples/echod/daemon.yaml
	$(BUILD)/daemonctl gen systemd -f examples/echod/daemon.yaml -o dist/
	$(BUILD)/daemonctl gen sysv -f examples/echod/daemon.yaml -o dist/
	$(BUILD)/daemonctl package -f examples/echod/daemon.yaml --format all -o dist/
	@ls -l dist/

deps: ## install the Debian packages the tests need (root or sudo)
	./scripts/install-deps.sh

test: ## unit and integration tests beside the code
	$(GO) test -count=1 ./...

e2e: build ## end-to-end tests in booted systemd and SysV containers (root)
	$(GO) test -tags e2e -count=1 -v -timeout 25m ./test/...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

check: deps lint test e2e fuzz-smoke bench-smoke ## everything CI runs: deps, lint, tests, e2e, fuzz and benchmark smoke runs

fuzz: ## run every fuzz target (found in the *_test.go files) for FUZZTIME (default 1m) each
	@targets=$$(grep -rH --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's|^\./(.*)/[^/]*:func (Fuzz[A-Za-z0-9_]*)\(.*|\1:\2|' | sort); \
	[ -n "$$targets" ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }; \
	for target in $$targets; do \
		pkg=$${target%%:*}; fn=$${target#*:}; \
		echo "fuzz: $$pkg $$fn"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $${FUZZTIME:-1m} || exit 1; \
	done

fuzz-smoke: ## every fuzz target for 300 inputs beyond its seeds (a count, not a time: a time-boxed run can end in a spurious "context deadline exceeded")
	$(MAKE) fuzz FUZZTIME=300x

bench: build ## benchmarks side by side with the peers (root, ~10 min); writes bench/*/RESULTS.md
	$(GO) test -run '^$$' -bench . -benchtime 20x ./spec ./systemd ./sysv
	$(GO) run ./bench/runtime -daemonctl $(BUILD)/daemonctl -echod $(BUILD)/echod -o bench/runtime/RESULTS.md
	bench/package/run.sh

bench-smoke: build ## every benchmark harness once, quickly: proves they run, asserts no timing
	$(GO) run ./bench/runtime -smoke -daemonctl $(BUILD)/daemonctl -echod $(BUILD)/echod
	SMOKE=1 bench/package/run.sh

clean: ## remove build outputs
	rm -rf $(BUILD) dist out
