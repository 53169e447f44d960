# Fails when a file of the source tree points at documents a user of the
# repository does not have: the project's private notes (the shared format
# and design pages, the workload notes). The format and the design are
# documented in docs/format.md and docs/design.md; refer to those instead.
#   cmake -DSOURCE_DIR=<tree> [-DBINARY_DIR=<build tree to skip>] -P check_doc_references.cmake
# With a git checkout it searches the tracked files (git grep); without one
# (a tarball, or git missing) it walks the tree and skips build directories.
if(NOT DEFINED SOURCE_DIR OR NOT IS_DIRECTORY "${SOURCE_DIR}")
  message(FATAL_ERROR "check_doc_references: SOURCE_DIR '${SOURCE_DIR}' is not a directory")
endif()

# Assembled from pieces so that this file does not match itself.
set(_dots "\\.\\.")
set(_md "\\.md")
set(pattern "${_dots}/shared|instmodel-format${_md}|DESIGN${_md}|shared/[A-Za-z_]+${_md}")

set(hits "")
set(searched FALSE)
find_program(GIT_EXECUTABLE git)
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" grep -n -I -E "${pattern}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    set(hits "${out}")
    set(searched TRUE)
  elseif(rc EQUAL 1)
    set(searched TRUE)  # no match
  else()
    message(STATUS "git grep failed (${err}); walking the tree instead")
  endif()
endif()

if(NOT searched)
  file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
  # Build trees (anything with a CMakeCache.txt) and generated or downloaded
  # directories are not part of the sources.
  set(skip_prefixes ".git/" "datasets/" "out/" "docs/api/")
  foreach(f ${files})
    if(f MATCHES "(^|/)CMakeCache\\.txt$")
      get_filename_component(dir "${f}" DIRECTORY)
      list(APPEND skip_prefixes "${dir}/")
    endif()
  endforeach()
  if(DEFINED BINARY_DIR AND NOT BINARY_DIR STREQUAL "")
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${BINARY_DIR}")
    if(NOT rel MATCHES "^\\.\\.")
      list(APPEND skip_prefixes "${rel}/")
    endif()
  endif()
  foreach(f ${files})
    set(skipped FALSE)
    foreach(prefix ${skip_prefixes})
      string(FIND "${f}" "${prefix}" at)
      if(at EQUAL 0)
        set(skipped TRUE)
        break()
      endif()
    endforeach()
    if(skipped)
      continue()
    endif()
    file(SIZE "${SOURCE_DIR}/${f}" bytes)
    if(bytes GREATER 8000000)
      continue()
    endif()
    file(STRINGS "${SOURCE_DIR}/${f}" lines REGEX "${pattern}")
    foreach(line ${lines})
      string(APPEND hits "${f}: ${line}\n")
    endforeach()
  endforeach()
endif()

if(NOT hits STREQUAL "")
  message(FATAL_ERROR "These lines refer to documents that are not in the repository; "
                      "point at docs/format.md or docs/design.md instead:\n${hits}")
endif()
message(STATUS "no references to documents outside the repository")
