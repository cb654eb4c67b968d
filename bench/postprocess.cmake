# bench_postprocess: the post-process run (cold and steady state) over a
# window of NetCDF outputs; bench/run_postprocess.sh adds the Python baseline.
add_executable(bench_postprocess EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/bench_postprocess.c)
target_link_libraries(bench_postprocess PRIVATE rnr_services rnr_lib)
target_compile_definitions(bench_postprocess PRIVATE
  RNR_BENCH_HYDROFABRIC="${CMAKE_SOURCE_DIR}/data/sample/domain.gpkg")
add_dependencies(benches bench_postprocess)
