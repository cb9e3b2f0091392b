# Convenience wrappers around the scripts and presets.
.PHONY: run test test-asan test-tsan fuzz build format clean
run:
	./scripts/run.sh
test:
	./scripts/test.sh
test-asan:
	PRESET=asan ./scripts/test.sh
test-tsan:
	PRESET=tsan ./scripts/test.sh
fuzz:
	./tests/fuzz/run.sh 60
build:
	cmake --preset release && cmake --build --preset release
format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
clean:
	rm -rf build
