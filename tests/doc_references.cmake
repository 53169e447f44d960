# Every file in the tree must refer to docs/format.md and docs/design.md, not
# to notes a user of the repository does not have.
set(_doc_check ${PROJECT_SOURCE_DIR}/tests/support/check_doc_references.cmake)
add_test(NAME docs_no_outside_references
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DBINARY_DIR=${PROJECT_BINARY_DIR}
                 -P ${_doc_check})
set_tests_properties(docs_no_outside_references PROPERTIES LABELS docs)

# The check itself, on two small trees without git (the tarball path): one
# that mentions a private note must fail with the file and line, a clean one
# must pass.
set(_doc_probe ${PROJECT_BINARY_DIR}/doc_reference_probe)
set(_doc_up "..")  # kept apart so that this file does not mention the path itself
file(WRITE ${_doc_probe}/mentions/src/notes.hpp "// fine\n// see ${_doc_up}/shared/notes\n")
file(WRITE ${_doc_probe}/clean/src/notes.hpp "// see docs/format.md\n")
add_test(NAME docs_reference_check_finds_a_mention
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${_doc_probe}/mentions -P ${_doc_check})
set_tests_properties(docs_reference_check_finds_a_mention PROPERTIES LABELS docs
                     PASS_REGULAR_EXPRESSION "src/notes\\.hpp: // see \\.\\./shared/notes")
add_test(NAME docs_reference_check_passes_a_clean_tree
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${_doc_probe}/clean -P ${_doc_check})
set_tests_properties(docs_reference_check_passes_a_clean_tree PROPERTIES LABELS docs)
