# cmake -DCONSUMER_SOURCE=<consumer/> -DBINARY_DIR=<dir> -DCMAKE_GENERATOR=<generator>
#       -DC_COMPILER=<cc> -DCXX_COMPILER=<c++> [-DC_FLAGS=<..>] [-DCXX_FLAGS=<..>] [-DLINK_FLAGS=<..>]
#       [-DCONSUMER_OPTIONS=<-Dx=y|-Dz=w>] -P build_and_run_consumer.cmake
# Configures the consumer project from scratch (Release), builds it on two
# jobs, and runs both of its programs; any failure fails the test.
foreach(required CONSUMER_SOURCE BINARY_DIR CMAKE_GENERATOR C_COMPILER CXX_COMPILER)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "build_and_run_consumer.cmake: -D${required}= is required")
  endif()
endforeach()
# '|' separates options: a ';' would not survive the trip through add_test.
string(REPLACE "|" ";" options "${CONSUMER_OPTIONS}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${status}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY_DIR}")
run(configure "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE}" -B "${BINARY_DIR}" -G "${CMAKE_GENERATOR}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_C_FLAGS=${C_FLAGS}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}" ${options})
run(build "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel 2)
run("the C consumer" "${BINARY_DIR}/consumer_c")
run("the C++ consumer" "${BINARY_DIR}/consumer_cxx")
