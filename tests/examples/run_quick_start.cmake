# Runs examples/quick_start (the README's quick start) on a tiny generated
# MNIST-style directory: it must train, export, load the file with the
# engine (which replays the embedded validation rows) and predict.
#   cmake -DEXAMPLE=<example_quick_start> -DPYTHON=<python3> -DWRITER=<write_idx_dataset.py>
#         -DWORK=<scratch dir> -P run_quick_start.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var EXAMPLE PYTHON WRITER WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_quick_start.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/data")
execute_process(COMMAND "${PYTHON}" "${WRITER}" "${WORK}/data" 640 100 quadrant RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WRITER} failed (${rc})")
endif()
execute_process(COMMAND "${EXAMPLE}" "${WORK}/data" "${WORK}/model.json"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "example_quick_start exited with ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
# 8x8 images, so 64 floats in; 4 classes in the data, 10 outputs.
if(NOT out MATCHES "\ntest accuracy [01]\\.[0-9][0-9][0-9][0-9]; [^\n]*model\\.json says test image 0 is a [0-9] \\(p = [01]\\.[0-9][0-9][0-9]\\), its label is [0-3]\n$")
  message(FATAL_ERROR "unexpected output:\n${out}\nstderr: ${err}")
endif()
if(NOT EXISTS "${WORK}/model.json")
  message(FATAL_ERROR "no ${WORK}/model.json written")
endif()
message("${out}")
file(REMOVE_RECURSE "${WORK}")
