# bench_hf_parquet: worker readiness on a parquet hydrofabric, local or
# from an object store (README-hydrofabric.md "parquet"). Run by hand.
add_executable(bench_hf_parquet ${CMAKE_CURRENT_SOURCE_DIR}/bench_hf_parquet.c)
target_link_libraries(bench_hf_parquet PRIVATE rnr_services rnr_lib)
add_dependencies(benches bench_hf_parquet)
