# bench_s3: S3 object-store throughput (PUT, GET, LIST, DELETE) against the
# server named by RNR_TEST_S3_ENDPOINT (s3rver in the test setup).
add_executable(bench_s3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_s3.c)
target_link_libraries(bench_s3 PRIVATE rnr_lib)
add_dependencies(benches bench_s3)
