# bench_route: `rnr route` on HPDT2 (whole process and in-process end to end)
# against the kernel-only routing of the same cut.
add_executable(bench_route EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/bench_route.c)
target_link_libraries(bench_route PRIVATE rnr_services rnr_lib)
# The reference data cmake unpacks from tests/data/reference.
target_compile_definitions(bench_route PRIVATE RNR_BENCH_REFERENCE_DIR="${CMAKE_BINARY_DIR}/reference")
add_dependencies(benches bench_route rnr)
