# Usage errors of every sub-command: each is exactly one line on stderr,
# "instnn <command>: <message>", with exit code 1 and nothing on stdout, and
# is reported before any file is opened (the paths here do not exist).
# --help and --version exit 0; no arguments print the command list, exit 1.
if(NOT TARGET instnn_cli)
  return()
endif()
set(_usage_runner ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_usage.cmake)

# instnn_usage_error(NAME "EXPECTED STDERR LINE" ARGS...)
function(instnn_usage_error name expected)
  list(JOIN ARGN "|" joined)
  add_test(NAME cli_usage_${name}
           COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:instnn_cli> "-DARGS=${joined}" -DEXPECT_RC=1
                   "-DSTDERR_LINE=${expected}" -P ${_usage_runner})
  set_tests_properties(cli_usage_${name} PROPERTIES LABELS "cli;usage")
endfunction()

set(d no_such_dir)
instnn_usage_error(train_epochs_zero "instnn train: --epochs must be a positive integer, got 0"
                   train --data ${d} --epochs 0)
instnn_usage_error(train_epochs_not_a_number "instnn train: --epochs must be a positive integer, got abc"
                   train --data ${d} --epochs abc)
instnn_usage_error(train_epochs_fraction "instnn train: --epochs must be a positive integer, got 1.5"
                   train --data ${d} --epochs 1.5)
instnn_usage_error(train_epochs_too_large
                   "instnn train: --epochs must be a positive integer no larger than 2147483647, got 99999999999"
                   train --data ${d} --epochs 99999999999)
instnn_usage_error(train_epochs_missing_value "instnn train: --epochs needs a value"
                   train --data ${d} --epochs)
instnn_usage_error(train_lr_negative "instnn train: --lr must be a positive number, got -1"
                   train --data ${d} --lr -1)
instnn_usage_error(train_lr_not_a_number "instnn train: --lr must be a positive number, got fast"
                   train --data ${d} --lr fast)
instnn_usage_error(train_batch_size_zero "instnn train: --batch-size must be a positive integer, got 0"
                   train --data ${d} --batch-size 0)
instnn_usage_error(train_seed_negative "instnn train: --seed must be a non-negative integer, got -3"
                   train --data ${d} --seed -3)
instnn_usage_error(train_threads_negative "instnn train: --threads must be a non-negative integer, got -1"
                   train --data ${d} --threads -1)
instnn_usage_error(train_optimizer_unknown
                   "instnn train: --optimizer must be one of adam, sgd, adamw, rmsprop; got adagrad"
                   train --data ${d} --optimizer adagrad)
instnn_usage_error(train_validation_split_one
                   "instnn train: --validation-split must be a number from 0 to 0.99, got 1"
                   train --data ${d} --validation-split 1)
instnn_usage_error(train_data_required "instnn train: train on --data DIR (IDX images) or --csv FILE (a table)" train --epochs 3)
instnn_usage_error(train_unknown_option "instnn train: unknown option --bogus" train --data ${d} --bogus)
instnn_usage_error(train_unknown_option_with_value "instnn train: unknown option --json" train --data ${d} --json=yes)
instnn_usage_error(evaluate_flag_with_value "instnn evaluate: --json does not take the value maybe"
                   evaluate c.ckpt --data ${d} --json=maybe)
instnn_usage_error(train_unexpected_argument "instnn train: unexpected argument extra" train --data ${d} extra)
instnn_usage_error(evaluate_checkpoint_required "instnn evaluate: checkpoint is required" evaluate --data ${d})
instnn_usage_error(evaluate_batch_size_zero "instnn evaluate: --batch-size must be a positive integer, got 0"
                   evaluate c.ckpt --data ${d} --batch-size 0)
instnn_usage_error(export_target_unknown
                   "instnn export: --target must be one of auto, portable, native; got gpu"
                   export c.ckpt --target gpu)
instnn_usage_error(export_validation_samples_negative
                   "instnn export: --validation-samples must be a non-negative integer, got -1"
                   export c.ckpt --validation-samples -1)
instnn_usage_error(export_input_scale_zero "instnn export: --input-scale must be a positive number, got 0"
                   export c.ckpt --input-scale 0)
instnn_usage_error(check_model_required "instnn check: model is required" check c.ckpt --data ${d})
instnn_usage_error(check_tolerance_zero "instnn check: --tolerance must be a positive number, got 0"
                   check c.ckpt m.json --data ${d} --tolerance 0)
instnn_usage_error(predict_input_required "instnn predict: --input is required" predict m.json)
instnn_usage_error(predict_threads_zero "instnn predict: --threads must be an integer from 1 to 1024, got 0"
                   predict m.json --input in.csv --threads 0)
instnn_usage_error(predict_batch_too_large
                   "instnn predict: --batch must be an integer from 1 to 16777216, got 16777217"
                   predict m.json --input in.csv --batch 16777217)
instnn_usage_error(predict_header_choice "instnn predict: --header must be one of auto, yes, no; got maybe"
                   predict m.json --input in.csv --header maybe)
instnn_usage_error(validate_model_required "instnn validate: model is required" validate)
instnn_usage_error(validate_tolerance_negative "instnn validate: --tolerance must be a positive number, got -1"
                   validate m.json --tolerance -1)
instnn_usage_error(info_two_models "instnn info: unexpected argument b.json" info a.json b.json c.json)
instnn_usage_error(predict_unknown_option_with_argument "instnn predict: unknown option --bogus"
                   predict m.json --input in.csv extra --bogus 5)
instnn_usage_error(bench_samples_zero "instnn bench: --samples must be an integer from 1 to 100000000, got 0"
                   bench m.json --samples 0)
instnn_usage_error(bench_threads_too_many "instnn bench: --threads must be an integer from 1 to 1024, got 2000"
                   bench m.json --threads 2000)
instnn_usage_error(unknown_command
                   "instnn: unknown command 'frobnicate' (commands: predict, validate, info, bench, train, evaluate, export, check)"
                   frobnicate)
instnn_usage_error(unknown_top_level_option "instnn: unknown option --bogus (try instnn --help)" --bogus train)

# instnn_usage_ok(NAME RC STDOUT_REGEX STDERR_REGEX ARGS...): empty regex = empty stream.
function(instnn_usage_output name rc stdout_regex stderr_regex)
  list(JOIN ARGN "|" joined)
  set(streams)
  if(NOT stdout_regex STREQUAL "")
    list(APPEND streams "-DSTDOUT_REGEX=${stdout_regex}")
  endif()
  if(NOT stderr_regex STREQUAL "")
    list(APPEND streams "-DSTDERR_REGEX=${stderr_regex}")
  endif()
  add_test(NAME cli_usage_${name}
           COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:instnn_cli> "-DARGS=${joined}" -DEXPECT_RC=${rc}
                   ${streams} -P ${_usage_runner})
  set_tests_properties(cli_usage_${name} PROPERTIES LABELS "cli;usage")
endfunction()

instnn_usage_output(no_arguments 1 "" "^instnn: train small neural networks.*Usage: instnn .*Subcommands:\n  predict .*\n  train ")
instnn_usage_output(help 0 "^instnn: train small neural networks.*Usage: instnn .*Subcommands:\n  predict .*\n  train " "" --help)
instnn_usage_output(train_help 0 "Train a model on an MNIST-style IDX directory.*--epochs" "" train --help)
string(REPLACE "." "\\." _usage_version "${PROJECT_VERSION}")
instnn_usage_output(version 0 "^${_usage_version}\n$" "" --version)
