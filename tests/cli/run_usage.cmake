# Runs the instnn executable once and checks its exit code, stdout and stderr
# separately (for the usage tests: errors, help, version).
#   cmake -DCLI=<exe> -DARGS="a|b|c" -DEXPECT_RC=<n>
#         [-DSTDERR_LINE=<exact text>] [-DSTDERR_REGEX=<re>]
#         [-DSTDOUT_LINE=<exact text>] [-DSTDOUT_REGEX=<re>] -P run_usage.cmake
# A stream with neither an exact line nor a regex must be empty.
string(REPLACE "|" ";" arguments "${ARGS}")
execute_process(COMMAND ${CLI} ${arguments} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "instnn ${ARGS}\nexit code ${rc}\nstdout: ${out}\nstderr: ${err}")
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT_RC}\n${report}")
endif()

# check_stream(STDERR "text"): against STDERR_LINE (one line, exactly) or STDERR_REGEX.
function(check_stream name text)
  if(DEFINED ${name}_LINE)
    if(NOT text STREQUAL "${${name}_LINE}\n")
      message(FATAL_ERROR "${name} is not exactly the line '${${name}_LINE}'\n${report}")
    endif()
  elseif(DEFINED ${name}_REGEX)
    if(NOT text MATCHES "${${name}_REGEX}")
      message(FATAL_ERROR "${name} does not match '${${name}_REGEX}'\n${report}")
    endif()
  elseif(NOT text STREQUAL "")
    message(FATAL_ERROR "${name} is not empty\n${report}")
  endif()
endfunction()
check_stream(STDERR "${err}")
check_stream(STDOUT "${out}")
