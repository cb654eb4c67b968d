# bench_hydrofabric: synthetic CONUS-scale hydrofabric -> index -> open time,
# RSS after open, cut latency. Heavy (minutes, ~1.3 GB in /tmp): run by hand.
add_executable(bench_hydrofabric ${CMAKE_CURRENT_SOURCE_DIR}/bench_hydrofabric.c)
target_link_libraries(bench_hydrofabric PRIVATE rnr_lib)
add_dependencies(benches bench_hydrofabric)
