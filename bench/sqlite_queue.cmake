# bench_sqlite_queue: embedded SQLite queue throughput (see bench_sqlite_queue.c).
add_executable(bench_sqlite_queue ${CMAKE_CURRENT_SOURCE_DIR}/bench_sqlite_queue.c)
target_link_libraries(bench_sqlite_queue PRIVATE rnr_lib)
add_dependencies(benches bench_sqlite_queue)
