# bench_amqp: the RabbitMQ + Redis backends under producer and worker load
# (needs the servers; see bench/run_amqp.sh).
add_executable(bench_amqp ${CMAKE_CURRENT_LIST_DIR}/bench_amqp.c)
target_link_libraries(bench_amqp PRIVATE rnr_lib)
add_dependencies(benches bench_amqp)
