# Runs examples/residual_mlp for one epoch on a tiny generated MNIST-style
# directory: it must train, export (portable), and the engine must classify
# the test images as the model does.
#   cmake -DEXAMPLE=<example_residual_mlp> -DPYTHON=<python3> -DWRITER=<write_idx_dataset.py>
#         -DWORK=<scratch dir> -P run_residual_mlp.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var EXAMPLE PYTHON WRITER WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_residual_mlp.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/data")
execute_process(COMMAND "${PYTHON}" "${WRITER}" "${WORK}/data" 640 100 quadrant RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WRITER} failed (${rc})")
endif()
execute_process(COMMAND "${EXAMPLE}" "${WORK}/data" "${WORK}/model.json" 3
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "example_residual_mlp exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
if(NOT out MATCHES "res1 \\(Add\\)[^\n]*h1, h2\n")
  message(FATAL_ERROR "the summary does not connect res1 to h1 and h2:\n${out}")
endif()
if(NOT out MATCHES "\ntest accuracy: ([01]\\.[0-9]+)\nexported [^\n]*model\\.json: [0-9]+ instructions, [0-9]+ buffers\nengine test accuracy: ([01]\\.[0-9]+)\n$")
  message(FATAL_ERROR "unexpected output:\n${out}\nstderr: ${err}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_2)
  message(FATAL_ERROR "the engine's accuracy ${CMAKE_MATCH_2} differs from the model's ${CMAKE_MATCH_1}")
endif()
message("${out}")
