# Runs an example that trains on an MNIST-style directory, on a tiny
# generated one (tests/cli/write_idx_dataset.py: 640 training and 100 test
# 8x8 images of 4 classes): it must exit 0, write WORK/model.json, and its
# output must match SUMMARY_REGEX (the model summary, if given) and
# EXPECT_REGEX, whose two groups, when
# it has them, are the model's and the engine's test accuracy, which must be
# equal.
#   cmake -DEXAMPLE=<exe> -DPYTHON=<python3> -DWRITER=<write_idx_dataset.py> -DWORK=<scratch dir>
#         [-DARGS="a|b"] [-DSUMMARY_REGEX=<re>] -DEXPECT_REGEX=<re> -P run_idx_example.cmake
# The example is run as EXAMPLE WORK/data WORK/model.json ARGS...
cmake_minimum_required(VERSION 3.25)
foreach(var EXAMPLE PYTHON WRITER WORK EXPECT_REGEX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_idx_example.cmake: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" arguments "${ARGS}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/data")
execute_process(COMMAND "${PYTHON}" "${WRITER}" "${WORK}/data" 640 100 quadrant RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WRITER} failed (${rc})")
endif()
execute_process(COMMAND "${EXAMPLE}" "${WORK}/data" "${WORK}/model.json" ${arguments}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXAMPLE} exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
if(DEFINED SUMMARY_REGEX AND NOT out MATCHES "${SUMMARY_REGEX}")
  message(FATAL_ERROR "the summary does not match '${SUMMARY_REGEX}':\n${out}")
endif()
if(NOT out MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "the output does not match '${EXPECT_REGEX}':\n${out}\nstderr: ${err}")
endif()
if(NOT "${CMAKE_MATCH_2}" STREQUAL "" AND NOT CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_2)
  message(FATAL_ERROR "the engine's accuracy ${CMAKE_MATCH_2} differs from the model's ${CMAKE_MATCH_1}")
endif()
if(NOT EXISTS "${WORK}/model.json")
  message(FATAL_ERROR "no ${WORK}/model.json written")
endif()
message("${out}")
file(REMOVE_RECURSE "${WORK}")
