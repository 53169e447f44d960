# Integration tests: examples/consumer built against an installed instnn
# (find_package) and against the source tree (add_subdirectory), and an
# engine-only program against the install's "inference" component. They run
# CMake and a compiler, so they carry the "integration" label and a long
# timeout; scripts/test.sh --sanitize skips them.
set(_consumer_args -DSOURCE=${PROJECT_SOURCE_DIR} -DBINARY=${PROJECT_BINARY_DIR}
                   -DCXX=${CMAKE_CXX_COMPILER} -DNATIVE=${INSTNN_NATIVE})
if(INSTNN_SANITIZE)
  list(APPEND _consumer_args "-DEXTRA_FLAGS=-fsanitize=address,undefined")
endif()

if(INSTNN_INSTALL AND TARGET instnn_cli)
  add_test(NAME consumer_find_package
           COMMAND ${CMAKE_COMMAND} -DMODE=install ${_consumer_args}
                   -DWORK=${PROJECT_BINARY_DIR}/consumer_find_package
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)
  set_tests_properties(consumer_find_package PROPERTIES LABELS integration TIMEOUT 900)
  # find_package(instnn COMPONENTS inference) with Eigen, cereal, fmt, zlib
  # and BLAS hidden: a serving program needs none of them.
  add_test(NAME consumer_inference_component
           COMMAND ${CMAKE_COMMAND} -DMODE=inference ${_consumer_args}
                   -DWORK=${PROJECT_BINARY_DIR}/consumer_inference_component
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)
  set_tests_properties(consumer_inference_component PROPERTIES LABELS integration TIMEOUT 900)
endif()

add_test(NAME consumer_add_subdirectory
         COMMAND ${CMAKE_COMMAND} -DMODE=subdirectory ${_consumer_args}
                 -DWORK=${PROJECT_BINARY_DIR}/consumer_add_subdirectory
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run_consumer.cmake)
set_tests_properties(consumer_add_subdirectory PROPERTIES LABELS integration TIMEOUT 1800)
