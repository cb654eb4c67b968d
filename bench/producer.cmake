# bench_producer: producer cycle throughput on 5,000 listed products
# (bench/README-producer.md).
add_executable(bench_producer ${CMAKE_CURRENT_LIST_DIR}/bench_producer.c)
target_link_libraries(bench_producer PRIVATE rnr_services rnr_lib)
target_compile_definitions(bench_producer PRIVATE
  RNR_BENCH_FIXTURE_SERVER="$<TARGET_FILE:rnr-fixture-server>")
add_dependencies(bench_producer rnr-fixture-server)
add_dependencies(benches bench_producer)
