# The libFuzzer harnesses and what the test run gives each: executions (fixed, so that the suite's
# time is predictable: tools/test.sh runs them in the sanitized build) and seed corpora.
sparsecert_fuzzer(fuzz_pattern_reader RUNS 20000 SEEDS patterns tests/data tests/fuzz/corpus/pattern_reader
                  DICT tests/fuzz/pattern.dict)
sparsecert_fuzzer(fuzz_size_expression RUNS 40000 SEEDS tests/fuzz/corpus/size_expression
                  DICT tests/fuzz/size_expression.dict)
sparsecert_fuzzer(fuzz_certificate_checker RUNS 10000 SEEDS tests/fuzz/corpus/certificate
                  DICT tests/fuzz/certificate.dict LIBS sparsecert_drivers)
