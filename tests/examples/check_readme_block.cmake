# The README's quick start must be exactly examples/quick_start/main.cpp, so
# the documented code is the code ctest compiles and runs. The block sits
# between "<!-- BEGIN <path> -->" and "<!-- END <path> -->", inside a ```cpp
# fence.
#   cmake -DREADME=<README.md> -DSOURCE_DIR=<repo> -DFILE=<path in repo> -P check_readme_block.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var README SOURCE_DIR FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_readme_block.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${README}" readme)
file(READ "${SOURCE_DIR}/${FILE}" expected)
set(begin "<!-- BEGIN ${FILE} -->\n```cpp\n")
set(end "```\n<!-- END ${FILE} -->")
string(FIND "${readme}" "${begin}" at)
string(FIND "${readme}" "${end}" stop)
if(at EQUAL -1 OR stop EQUAL -1 OR stop LESS at)
  message(FATAL_ERROR "${README} has no block between '<!-- BEGIN ${FILE} -->' and '<!-- END ${FILE} -->'"
                      " (each on its own line, the code in a ```cpp fence)")
endif()
string(LENGTH "${begin}" begin_length)
math(EXPR first "${at} + ${begin_length}")
math(EXPR length "${stop} - ${first}")
string(SUBSTRING "${readme}" ${first} ${length} block)
if(NOT block STREQUAL expected)
  file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/readme_block.cpp" "${block}")
  message(FATAL_ERROR "the README block differs from ${FILE}; copy the file into the README "
                      "(the block as read is in ${CMAKE_CURRENT_BINARY_DIR}/readme_block.cpp; "
                      "diff it against ${SOURCE_DIR}/${FILE})")
endif()
message("the README block equals ${FILE}")
