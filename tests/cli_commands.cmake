# End-to-end tests of `instnn train` (--history, --validation-split) and
# `instnn evaluate` (text, --json, errors) on a tiny generated data set. The
# setup test writes the data and a trained checkpoint the others read.
if(NOT TARGET instnn_cli)
  return()
endif()
find_program(INSTNN_BASH bash)
find_program(INSTNN_PYTHON3 python3)
if(NOT INSTNN_BASH OR NOT INSTNN_PYTHON3)
  return()
endif()

set(_cli_commands_work ${PROJECT_BINARY_DIR}/cli_commands)
foreach(step setup history_json history_csv evaluate_text evaluate_json evaluate_missing_data
             evaluate_missing_checkpoint evaluate_not_a_checkpoint train_missing_data graph_train_export
             graph_two_inputs_on_images cleanup)
  add_test(NAME cli_commands_${step}
           COMMAND ${INSTNN_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_commands.sh
                   $<TARGET_FILE:instnn_cli> ${_cli_commands_work} ${step})
  set_tests_properties(cli_commands_${step} PROPERTIES LABELS "cli;train;evaluate" TIMEOUT 300)
  if(step STREQUAL "setup")
    set_tests_properties(cli_commands_${step} PROPERTIES FIXTURES_SETUP cli_commands)
  elseif(step STREQUAL "cleanup")
    set_tests_properties(cli_commands_${step} PROPERTIES FIXTURES_CLEANUP cli_commands)
  else()
    set_tests_properties(cli_commands_${step} PROPERTIES FIXTURES_REQUIRED cli_commands)
  endif()
endforeach()
