# bench_io: NetCDF output write/read, CSV and SVG rendering times.
add_executable(bench_io ${CMAKE_CURRENT_SOURCE_DIR}/bench_io.c)
target_link_libraries(bench_io PRIVATE rnr_lib)
add_dependencies(benches bench_io)
