# The README's quick start is examples/quick_start/main.cpp, verbatim.
add_test(NAME readme_quick_start_is_the_example
         COMMAND ${CMAKE_COMMAND} -DREADME=${PROJECT_SOURCE_DIR}/README.md -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DFILE=examples/quick_start/main.cpp -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_readme_block.cmake)
set_tests_properties(readme_quick_start_is_the_example PROPERTIES LABELS "examples")

if(NOT INSTNN_BUILD_EXAMPLES OR NOT EXISTS ${PROJECT_SOURCE_DIR}/examples/xor/main.cpp)
  return()
endif()

# The examples that need no downloaded data run as tests: example_xor must
# reach 100% and print the four points on the right side of 0.5;
# example_csv_classifier must classify a held-out fifth of a small tabular
# file (sorted by class, features on very different scales) at >= 90%, in
# the model and in the exported file run on raw rows.
# examples/ is added after tests/, so the target is referenced by name only
# (generator expressions are resolved once every target exists).
add_test(NAME example_xor_converges
         COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:example_xor> -DARGS= -DEXPECT_RC=0
                 "-DEXPECT_REGEX=^XOR: 100% correct after [0-9]+ epochs \\([0-9.]+ ms\\)\n  0 xor 0 -> 0\\.[0-4][0-9]*\n  0 xor 1 -> (0\\.[5-9]|1\\.0)[0-9]*\n  1 xor 0 -> (0\\.[5-9]|1\\.0)[0-9]*\n  1 xor 1 -> 0\\.[0-4][0-9]*\n$"
                 -P ${PROJECT_SOURCE_DIR}/tests/data/inference/run_cli.cmake)
set_tests_properties(example_xor_converges PROPERTIES LABELS "examples" TIMEOUT 120)
add_test(NAME example_csv_classifier_trains_and_exports
         COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:example_csv_classifier>
                 "-DARGS=${PROJECT_SOURCE_DIR}/tests/data/csv/clusters.csv|kind|${PROJECT_BINARY_DIR}/csv_classifier_model.json"
                 -DEXPECT_RC=0
                 "-DEXPECT_REGEX=^test accuracy: (0\\.9[0-9]*|1\\.0000) \\(84 of 420 rows held out\\)\nexported [^\n]*: the engine classifies (7[6-9]|8[0-4]) of 84 raw test rows correctly\n$"
                 -P ${PROJECT_SOURCE_DIR}/tests/data/inference/run_cli.cmake)
set_tests_properties(example_csv_classifier_trains_and_exports PROPERTIES LABELS "examples" TIMEOUT 120)
# The quick start trains, exports and serves on a tiny generated MNIST-style
# directory (tests/cli/write_idx_dataset.py), as it would on MNIST.
if(INSTNN_PYTHON3)
  # Quick start: 8x8 images, so 64 floats in; 4 classes in the data, 10 outputs.
  # Residual MLP: 3 epochs; the summary connects res1 to h1 and h2.
  # Sequence MNIST: 8 steps of 8 pixels into an LSTM of 16 units, 2 epochs;
  # 4 gates x 8 steps minus the first step's forget gate, + the head: 32
  # DOTs over 5 matrices; the engine serves the model within 1e-5.
  set(idx_example_args
      "-DPYTHON=${INSTNN_PYTHON3}" "-DWRITER=${CMAKE_CURRENT_SOURCE_DIR}/cli/write_idx_dataset.py")
  add_test(NAME example_quick_start_trains_exports_serves
           COMMAND ${CMAKE_COMMAND} -DEXAMPLE=$<TARGET_FILE:example_quick_start> ${idx_example_args}
                   -DWORK=${PROJECT_BINARY_DIR}/example_quick_start
                   "-DEXPECT_REGEX=\ntest accuracy [01]\\.[0-9][0-9][0-9][0-9]; [^\n]*model\\.json says test image 0 is a [0-9] \\(p = [01]\\.[0-9][0-9][0-9]\\), its label is [0-3]\n$"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/run_idx_example.cmake)
  add_test(NAME example_residual_mlp_trains_exports_serves
           COMMAND ${CMAKE_COMMAND} -DEXAMPLE=$<TARGET_FILE:example_residual_mlp> ${idx_example_args}
                   -DWORK=${PROJECT_BINARY_DIR}/example_residual_mlp -DARGS=3
                   "-DSUMMARY_REGEX=res1 \\(Add\\)[^\n]*h1, h2\n"
                   "-DEXPECT_REGEX=\ntest accuracy: ([01]\\.[0-9]+)\nexported [^\n]*model\\.json: [0-9]+ instructions, [0-9]+ buffers\nengine test accuracy: ([01]\\.[0-9]+)\n$"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/run_idx_example.cmake)
  add_test(NAME example_sequence_mnist_trains_exports_serves
           COMMAND ${CMAKE_COMMAND} -DEXAMPLE=$<TARGET_FILE:example_sequence_mnist> ${idx_example_args}
                   -DWORK=${PROJECT_BINARY_DIR}/example_sequence_mnist "-DARGS=2|16"
                   "-DSUMMARY_REGEX=lstm \\(LSTM\\)"
                   "-DEXPECT_REGEX=\ntest accuracy: ([01]\\.[0-9]+)\nexported [^\n]*model\\.json: [0-9]+ instructions \\(32 DOT over 5 weight matrices\\), [0-9]+ buffers\nengine test accuracy: ([01]\\.[0-9]+) \\(max \\|model - engine\\| [0-9.]+e-[0-9]+ over 100 images\\)\n$"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/run_idx_example.cmake)
  set_tests_properties(example_quick_start_trains_exports_serves example_residual_mlp_trains_exports_serves
                       example_sequence_mnist_trains_exports_serves
                       PROPERTIES LABELS "examples" TIMEOUT 300)
endif()
# Two named inputs, two towers, Multiply and Concatenate: trains on its own
# synthetic pairs, exports, and the engine must serve what the model predicts.
add_test(NAME example_two_tower_trains_exports_serves
         COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:example_two_tower>
                 "-DARGS=${PROJECT_BINARY_DIR}/two_tower_model.json" -DEXPECT_RC=0
                 "-DEXPECT_REGEX=^test accuracy: 0\\.9[0-9]*\nexported [^\n]*: [0-9]+ instructions\nserved: the engine agrees with the model on (99[5-9]|1000) of 1000 test pairs \\(max \\|difference\\| [0-9.]+e[-+][0-9]+\\)\n$"
                 -P ${PROJECT_SOURCE_DIR}/tests/data/inference/run_cli.cmake)
set_tests_properties(example_two_tower_trains_exports_serves PROPERTIES LABELS "examples" TIMEOUT 120)
# A user-written layer (ScaledSquare, outside the instnn namespace): trains,
# checkpoints, fails to load without its factory, loads with it (bitwise
# predictions), resumes bitwise, exports portable through its own lower()
# and is served within 1e-5. The program exits non-zero on any mismatch.
add_test(NAME example_custom_layer_trains_loads_resumes_exports
         COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:example_custom_layer>
                 "-DARGS=${PROJECT_BINARY_DIR}/custom_layer_model.json|${PROJECT_BINARY_DIR}/custom_layer.ckpt"
                 -DEXPECT_RC=0
                 "-DEXPECT_REGEX=^trained 2 epochs: loss [0-9.]+, checkpoint [^\n]+\nload without the factory: ConfigError: layer 'square': unknown layer type 'ScaledSquare'[^\n]*\nloaded with the factory: predictions identical bitwise \\(129 parameters\\)\nresumed to 4 epochs: weights identical bitwise to an uninterrupted run \\(loss [0-9.]+\\)\nexported [^\n]+: 8 instructions\nserved: the engine matches the model on 100 rows \\(max \\|difference\\| [0-9.]+e[-+][0-9]+\\)\n$"
                 -P ${PROJECT_SOURCE_DIR}/tests/data/inference/run_cli.cmake)
set_tests_properties(example_custom_layer_trains_loads_resumes_exports PROPERTIES LABELS "examples" TIMEOUT 120)
