# Runs examples/sequence_mnist for two epochs on a tiny generated MNIST-style
# directory (8x8 images: 8 steps of 8 pixels, LSTM of 16 units): it must
# train, export portable with the four gate matrices shared by every step,
# and the engine must serve the model's probabilities within 1e-5.
#   cmake -DEXAMPLE=<example_sequence_mnist> -DPYTHON=<python3> -DWRITER=<write_idx_dataset.py>
#         -DWORK=<scratch dir> -P run_sequence_mnist.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var EXAMPLE PYTHON WRITER WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_sequence_mnist.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/data")
execute_process(COMMAND "${PYTHON}" "${WRITER}" "${WORK}/data" 640 100 quadrant RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WRITER} failed (${rc})")
endif()
execute_process(COMMAND "${EXAMPLE}" "${WORK}/data" "${WORK}/model.json" 2 16
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "example_sequence_mnist exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
# 8 steps: 4 gates x 8 DOTs minus the first step's forget gate, + the head;
# 4 gate matrices + the head's.
if(NOT out MATCHES "lstm \\(LSTM\\)")
  message(FATAL_ERROR "the summary has no LSTM layer:\n${out}")
endif()
if(NOT out MATCHES "\ntest accuracy: ([01]\\.[0-9]+)\nexported [^\n]*model\\.json: [0-9]+ instructions \\(32 DOT over 5 weight matrices\\), [0-9]+ buffers\nengine test accuracy: ([01]\\.[0-9]+) \\(max \\|model - engine\\| [0-9.]+e-[0-9]+ over 100 images\\)\n$")
  message(FATAL_ERROR "unexpected output:\n${out}\nstderr: ${err}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_2)
  message(FATAL_ERROR "the engine's accuracy ${CMAKE_MATCH_2} differs from the model's ${CMAKE_MATCH_1}")
endif()
message("${out}")
