# End-to-end tests of `instnn train`: Ctrl-C saves a resumable checkpoint.
if(INSTNN_SCRIPT_TESTS)
  add_test(NAME cli_train_interrupt_and_resume
           COMMAND ${INSTNN_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/cli/train_interrupt.sh
                   $<TARGET_FILE:instnn_cli> ${PROJECT_BINARY_DIR}/cli_train_interrupt)
  set_tests_properties(cli_train_interrupt_and_resume PROPERTIES LABELS "cli;train" TIMEOUT 600)
endif()
