# End-to-end tests of the tabular command line (tests/cli/cli_table.sh) on
# small generated CSVs: train --csv, evaluate/check --csv, export, predict by
# header, regression, multiclass, a graph config over named columns, errors.
if(NOT INSTNN_SCRIPT_TESTS)
  return()
endif()

instnn_script_steps(cli_table ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_table.sh "cli;train;table"
                    setup evaluate export_predict regression multiclass graph_config errors resume cleanup)

# examples/credit_scoring on a generated credit-like CSV (German credit
# itself is downloaded by scripts/fetch-tabular.sh, which tests must not
# need): trains split 0, exports, and the engine must score the raw
# held-out rows (unknown categories included) as the model does.
if(INSTNN_BUILD_EXAMPLES AND EXISTS ${PROJECT_SOURCE_DIR}/examples/credit_scoring/main.cpp)
  set(_credit_work ${PROJECT_BINARY_DIR}/example_credit_scoring)
  add_test(NAME example_credit_scoring_trains_exports_serves
           COMMAND ${INSTNN_BASH} -c "set -e; mkdir -p '${_credit_work}'; \
python3 '${CMAKE_CURRENT_SOURCE_DIR}/cli/write_table_csv.py' '${_credit_work}/credit.csv' 500 7 --unseen; \
'$<TARGET_FILE:example_credit_scoring>' '${_credit_work}/credit.csv' '${_credit_work}/credit.json'; \
echo 'example exited 0'")
  set_tests_properties(example_credit_scoring_trains_exports_serves PROPERTIES LABELS "examples" TIMEOUT 120
                       PASS_REGULAR_EXPRESSION "split 0: test accuracy 0\\.[7-9][0-9]*, AUC 0\\.[89][0-9]* \\(100 rows, positive class 'good'\\)\nexported [^\n]+: [0-9]+ instructions\nengine on the 100 raw held-out rows: max \\|model - engine\\| = [0-9.e+-]+\nexample exited 0")
endif()
