# End-to-end tests of the predict / validate / info / bench sub-commands.
if(NOT TARGET instnn_cli)
  return()
endif()
set(_inference_data ${PROJECT_SOURCE_DIR}/tests/data/inference)
set(_inference_runner ${_inference_data}/run_cli.cmake)

function(instnn_cli_test name rc regex)
  list(JOIN ARGN "|" joined)
  add_test(NAME cli_inference_${name}
           COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:instnn_cli> "-DARGS=${joined}" -DEXPECT_RC=${rc}
                   "-DEXPECT_REGEX=${regex}" -P ${_inference_runner})
  set_tests_properties(cli_inference_${name} PROPERTIES LABELS "cli;inference")
endfunction()

instnn_cli_test(predict_stdout 0 "^5\\.54485[0-9]*e-05,0\\.99994[0-9]*\n0\\.6681877[0-9]*,0\\.331812[0-9]*\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input.csv)
instnn_cli_test(predict_threads_batch 0 "^5\\.54485[0-9]*e-05,0\\.99994[0-9]*\n0\\.6681877[0-9]*,0\\.331812[0-9]*\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input.csv --threads 2 --batch 1)
add_test(NAME cli_inference_predict_output_file
         COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:instnn_cli>
                 "-DARGS=predict|${_inference_data}/small_mlp.json|--input|${_inference_data}/input.csv|--output|${PROJECT_BINARY_DIR}/cli_inference_out.csv"
                 -DEXPECT_RC=0 "-DEXPECT_REGEX=^$" -DOUTPUT_FILE=${PROJECT_BINARY_DIR}/cli_inference_out.csv
                 "-DOUTPUT_REGEX=^[^\n]+\n[^\n]+\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$" -P ${_inference_runner})
set_tests_properties(cli_inference_predict_output_file PROPERTIES LABELS "cli;inference")
# The same samples as input.csv written the way spreadsheets write them (BOM,
# header, CRLF, quotes, '+2', no final line end): the same outputs.
instnn_cli_test(predict_rfc4180_input 0 "^5\\.54485[0-9]*e-05,0\\.99994[0-9]*\n0\\.6681877[0-9]*,0\\.331812[0-9]*\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input_rfc4180.csv)
instnn_cli_test(predict_short_row 1 "short_row.csv:1: the model takes 3 inputs per sample, the row has 2"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/short_row.csv)
instnn_cli_test(predict_missing_input 1 "cannot open input file"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/does_not_exist.csv)
instnn_cli_test(predict_bad_model 1 "instructions\\[0\\]\\.activation: unknown activation \"relu\""
                predict ${_inference_data}/unknown_activation.json --input ${_inference_data}/input.csv)
instnn_cli_test(predict_not_json 1 "invalid JSON"
                predict ${_inference_data}/input.csv --input ${_inference_data}/input.csv)
instnn_cli_test(validate_ok 0 "small_mlp.json: OK: 3 inputs, 2 outputs, 3 buffers, 2 instructions, 2 validation cases match"
                validate ${_inference_data}/small_mlp.json)
instnn_cli_test(validate_mismatch 1 "validation case 1, output 0: expected 0\\.6680[0-9]* but got 0\\.66818[0-9]*"
                validate ${_inference_data}/bad_validation.json)
instnn_cli_test(validate_missing_file 1 "cannot open model file"
                validate ${_inference_data}/does_not_exist.json)
# instmodel's default export: "features": [] and no feature_size (the input
# is buffer 0, whole); validate and info say the count was inferred.
instnn_cli_test(validate_inferred_features 0
                "instmodel_default_export.json: OK: 4 inputs, 1 outputs, 3 buffers, 2 instructions, 3 validation cases match within 1e-05\nnote: the input count 4 was inferred: \"features\" is empty and there is no \"feature_size\", so the input is buffer 0, whole"
                validate ${_inference_data}/instmodel_default_export.json)
instnn_cli_test(predict_inferred_features 0 "^0\\.88505[0-9]*\n0\\.46165[0-9]*\n0\\.18877[0-9]*\n$"
                predict ${_inference_data}/instmodel_default_export.json --input ${_inference_data}/instmodel_default_input.csv)
instnn_cli_test(info_inferred_features 0 "features: 4 inputs \\(inferred: \"features\" is empty"
                info ${_inference_data}/instmodel_default_export.json)
instnn_cli_test(info 0 "features: 3 inputs: age, scores\\[2\\].*buffers: 3 \\(3, 4, 2\\).*DOT: 2.*parameters: 26.*required memory: 9 floats"
                info ${_inference_data}/small_mlp.json)
instnn_cli_test(info_bad_model 1 "unknown activation" info ${_inference_data}/unknown_activation.json)
instnn_cli_test(bench_json 0 "^\\{\"batch\":7,\"batched_samples_per_s\":[0-9.e+]+,\"samples\":100,\"single_samples_per_s\":[0-9.e+]+,\"threads\":2\\}\n$"
                bench ${_inference_data}/small_mlp.json --samples 100 --threads 2 --batch 7 --json)
instnn_cli_test(bench_text 0 "one at a time, 1 thread: [0-9]+ samples/s"
                bench ${_inference_data}/small_mlp.json --samples 50)
instnn_cli_test(bench_bad_model 1 "unknown activation" bench ${_inference_data}/unknown_activation.json)
# A CSV with a header: columns by name in any order, extra columns ignored,
# categories through the file's vocabulary (an unknown one, "red, dark" and
# "\"red\"", takes the MAP_TRANSFORM default), missing numbers ("NA", "")
# through its missing_values; CRLF line ends and quoted numbers.
instnn_cli_test(predict_tabular_by_name 0 "^111\n57\\.5\n4001\n207\\.5\n4007\\.5\n$"
                predict ${_inference_data}/tabular.json --input ${_inference_data}/tabular_raw.csv)
instnn_cli_test(predict_tabular_missing_column 1
                "tabular_no_color\\.csv: the header has no column 'color', which the model's feature 'color' reads \\(header: 'id', 'age', 'label'\\)"
                predict ${_inference_data}/tabular.json --input ${_inference_data}/tabular_no_color.csv)
instnn_cli_test(predict_tabular_not_a_number 1
                "tabular_not_number\\.csv:2: column 2 \\('age'\\): 'forty' is not a number, and feature 'age' is numeric"
                predict ${_inference_data}/tabular.json --input ${_inference_data}/tabular_not_number.csv)
# A numeric model by name: NAME[N] is read from columns NAME_0 .. NAME_{N-1}.
instnn_cli_test(predict_numeric_by_name 0 "^5\\.54485[0-9]*e-05,0\\.99994[0-9]*\n0\\.6681877[0-9]*,0\\.331812[0-9]*\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input_named.csv)
instnn_cli_test(predict_header_names_some_features 1
                "input_partial_names\\.csv: the header has no column 'scores_1'"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input_partial_names.csv)
# --header overrides the rule: yes takes input.csv's first row as a header
# (naming no feature, so the rest is read by position); no reads a header as data.
instnn_cli_test(predict_header_yes 0 "^0\\.6681877[0-9]*,0\\.331812[0-9]*\n0\\.61063[0-9]*,0\\.38936[0-9]*\n$"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input.csv --header yes)
instnn_cli_test(predict_header_no 1 "input_rfc4180\\.csv:1: column 1: 'a' is not a number"
                predict ${_inference_data}/small_mlp.json --input ${_inference_data}/input_rfc4180.csv --header no)
instnn_cli_test(info_tabular 0 "features: 2 inputs: age, color\ncategorical features: 1: color \\(2 values\\)\nmissing values: 1: age = 40\n"
                info ${_inference_data}/tabular.json)
