# bench_kernel: Muskingum-Cunge kernel calls per second on the HPDT2 chain.
add_executable(bench_kernel EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/bench_kernel.c)
target_link_libraries(bench_kernel PRIVATE rnr_lib)
add_dependencies(benches bench_kernel)
