# bench_nws: HML products and sites parsed per second (bench/README-nws.md).
add_executable(bench_nws ${CMAKE_CURRENT_LIST_DIR}/bench_nws.c)
target_link_libraries(bench_nws PRIVATE rnr_lib)
# The reference data cmake unpacks from tests/data/reference.
target_compile_definitions(bench_nws PRIVATE RNR_BENCH_REFERENCE_DIR="${CMAKE_BINARY_DIR}/reference")
add_dependencies(benches bench_nws)
