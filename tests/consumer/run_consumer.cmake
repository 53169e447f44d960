# Builds and runs examples/consumer's program as a user of instnn would.
#   cmake -DMODE=install|inference|subdirectory -DSOURCE=<repo> -DBINARY=<instnn build>
#         -DWORK=<scratch dir> [-DCXX=<compiler>] [-DEXTRA_FLAGS=...] -P run_consumer.cmake
# install:      cmake --install BINARY into WORK/prefix, move the prefix (the
#               package must be relocatable), then find_package() it.
# inference:    the same install, then tests/consumer/inference_only, which
#               asks for COMPONENTS inference and links only instnn::inference,
#               configured with the packages that only training needs hidden
#               from CMake; the same configure asking for the instnn
#               component must fail, which shows that hiding them bites.
# subdirectory: a project that add_subdirectory()s SOURCE.
# Every run starts from an empty WORK, so nothing is reused from a previous one.
cmake_minimum_required(VERSION 3.25)
foreach(var MODE SOURCE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " cmd)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
# The subdirectory build compiles all of instnn again: unoptimised, that is
# several times faster, and XOR trains quickly all the same.
if(MODE STREQUAL "subdirectory")
  set(configure_args -DCMAKE_BUILD_TYPE=Debug)
else()
  set(configure_args -DCMAKE_BUILD_TYPE=Release)
endif()
if(CXX)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX})
endif()
if(EXTRA_FLAGS)
  # A sanitizer build's static libraries need the same runtime at link time.
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
endif()

if(MODE STREQUAL "install" OR MODE STREQUAL "inference")
  run(${CMAKE_COMMAND} --install "${BINARY}" --prefix "${WORK}/staging")
  file(RENAME "${WORK}/staging" "${WORK}/prefix")
  foreach(f lib/cmake/instnn/instnnConfig.cmake lib/cmake/instnn/instnnConfigVersion.cmake
            lib/cmake/instnn/instnnTargets.cmake lib/cmake/instnn/instnnInferenceTargets.cmake
            include/instnn/core/sequential.hpp include/instnn/inference/instruction_model.hpp bin/instnn)
    if(NOT EXISTS "${WORK}/prefix/${f}")
      message(FATAL_ERROR "the installed package lacks ${f}")
    endif()
  endforeach()
  # No installed file may point back into the build tree or the staging path.
  file(GLOB_RECURSE cmake_files "${WORK}/prefix/lib/cmake/instnn/*.cmake")
  foreach(f ${cmake_files})
    file(READ "${f}" text)
    foreach(bad "${WORK}/staging" "${BINARY}" "${SOURCE}")
      string(FIND "${text}" "${bad}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "${f} mentions ${bad}: the package is not relocatable")
      endif()
    endforeach()
  endforeach()
endif()

if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} -S "${SOURCE}/examples/consumer" -B "${WORK}/build"
      "-DCMAKE_PREFIX_PATH=${WORK}/prefix" ${configure_args})
  # The package says when its code is tied to the build machine's CPU.
  if(DEFINED NATIVE)
    string(FIND "${last_output}" "was built with -march=native" at)
    if(NATIVE AND at EQUAL -1)
      message(FATAL_ERROR "find_package(instnn) of a -march=native build did not say so:\n${last_output}")
    elseif(NOT NATIVE AND NOT at EQUAL -1)
      message(FATAL_ERROR "find_package(instnn) of a portable build claims -march=native:\n${last_output}")
    endif()
  endif()
  run("${WORK}/prefix/bin/instnn" --version)
elseif(MODE STREQUAL "inference")
  set(hidden)
  foreach(package Eigen3 cereal fmt ZLIB BLAS)
    list(APPEND hidden -DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON)
  endforeach()
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE}/tests/consumer/inference_only"
                          -B "${WORK}/build-instnn" "-DCMAKE_PREFIX_PATH=${WORK}/prefix"
                          -DINSTNN_COMPONENT=instnn ${hidden} ${configure_args}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "CMAKE_DISABLE_FIND_PACKAGE_(ZLIB|BLAS)")
    message(FATAL_ERROR "find_package(instnn COMPONENTS instnn) configured without ZLIB and BLAS "
                        "(or failed for another reason); the check proves nothing:\n${out}")
  endif()
  run(${CMAKE_COMMAND} -S "${SOURCE}/tests/consumer/inference_only" -B "${WORK}/build"
      "-DCMAKE_PREFIX_PATH=${WORK}/prefix" ${hidden} ${configure_args})
  run(${CMAKE_COMMAND} --build "${WORK}/build" -j 2)
  run("${WORK}/build/consumer_inference")
  message("${last_output}")
  if(NOT last_output STREQUAL "engine: 2 inputs, 2 outputs; [3, 1] -> [2.5, 5.5]\n")
    message(FATAL_ERROR "the engine-only consumer printed something else:\n${last_output}")
  endif()
  file(REMOVE_RECURSE "${WORK}")
  return()
elseif(MODE STREQUAL "subdirectory")
  run(${CMAKE_COMMAND} -S "${SOURCE}/tests/consumer/subdirectory" -B "${WORK}/build"
      "-DINSTNN_SOURCE=${SOURCE}" -DINSTNN_BUILD_TOOLS=OFF ${configure_args})
else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be install, inference or subdirectory, got '${MODE}'")
endif()

run(${CMAKE_COMMAND} --build "${WORK}/build" -j 2)
run("${WORK}/build/consumer")
message("${last_output}")
if(NOT last_output MATCHES "1 xor 0 -> (0\\.[5-9]|1\\.0)" OR NOT last_output MATCHES "1 xor 1 -> 0\\.[0-4]"
   OR NOT last_output MATCHES "training accuracy 1\\.00")
  message(FATAL_ERROR "the consumer ran but did not learn XOR:\n${last_output}")
endif()
file(REMOVE_RECURSE "${WORK}")
