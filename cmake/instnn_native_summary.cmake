# Which CPU the build targets. With INSTNN_NATIVE=ON every instnn target is
# compiled with -march=native: the libraries and the instnn executable then
# use this machine's instruction set (AVX-512, ...) and die with SIGILL on an
# older CPU. Installs meant for other machines need -DINSTNN_NATIVE=OFF.
# Sets INSTNN_NATIVE_ARCH (the CPU GCC resolves "native" to, e.g. znver3;
# "native" when the compiler does not say) for the package config.
set(INSTNN_NATIVE_ARCH "")
if(INSTNN_NATIVE)
  set(INSTNN_NATIVE_ARCH native)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -march=native -Q --help=target
                  RESULT_VARIABLE _instnn_rc OUTPUT_VARIABLE _instnn_target_help ERROR_QUIET)
  if(_instnn_rc EQUAL 0 AND _instnn_target_help MATCHES "\n[ \t]*-march=[ \t]*([A-Za-z0-9_.-]+)")
    set(INSTNN_NATIVE_ARCH ${CMAKE_MATCH_1})
  endif()
  unset(_instnn_rc)
  unset(_instnn_target_help)
  message(STATUS "instnn: INSTNN_NATIVE=ON: libinstnn, libinstnn_inference, the instnn executable, "
                 "tests and benchmarks are built with -march=native (${INSTNN_NATIVE_ARCH}); they run "
                 "only on CPUs with this machine's instruction set. For an install meant for other "
                 "machines configure with -DINSTNN_NATIVE=OFF.")
else()
  message(STATUS "instnn: INSTNN_NATIVE=OFF: built for the compiler's default target CPU, "
                 "so an install also runs on other machines of this architecture")
endif()
