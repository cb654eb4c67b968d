# bench_redis: dedup-cache round trips over TLS vs plain TCP on loopback
# (bench/README-redis.md; bench/run_redis.sh starts the server).
add_executable(bench_redis ${CMAKE_CURRENT_LIST_DIR}/bench_redis.c)
target_link_libraries(bench_redis PRIVATE rnr_services rnr_lib)
add_dependencies(benches bench_redis)
