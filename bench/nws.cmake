# bench_nws: HML products and sites parsed per second (bench/README-nws.md).
add_executable(bench_nws ${CMAKE_CURRENT_LIST_DIR}/bench_nws.c)
target_link_libraries(bench_nws PRIVATE rnr_lib)
get_filename_component(RNR_BENCH_NWS_REF ${CMAKE_SOURCE_DIR}/../shared/reference ABSOLUTE)
target_compile_definitions(bench_nws PRIVATE RNR_BENCH_REFERENCE_DIR="${RNR_BENCH_NWS_REF}")
add_dependencies(benches bench_nws)
