# End-to-end tests of `instnn train` (--history, --validation-split) and
# `instnn evaluate` (text, --json, errors) on a tiny generated data set. The
# setup test writes the data and a trained checkpoint the others read.
if(NOT INSTNN_SCRIPT_TESTS)
  return()
endif()

instnn_script_steps(cli_commands ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_commands.sh "cli;train;evaluate"
                    setup history_json history_csv evaluate_text evaluate_json evaluate_missing_data
                    evaluate_missing_checkpoint evaluate_not_a_checkpoint train_missing_data graph_train_export sequence_models
                    graph_two_inputs_on_images cleanup)
