# bench_kernel: Muskingum-Cunge kernel calls per second on the HPDT2 chain.
add_executable(bench_kernel EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/bench_kernel.c)
target_link_libraries(bench_kernel PRIVATE rnr_lib)
# The reference data cmake unpacks from tests/data/reference.
target_compile_definitions(bench_kernel PRIVATE RNR_BENCH_REFERENCE_DIR="${CMAKE_BINARY_DIR}/reference")
add_dependencies(benches bench_kernel)
