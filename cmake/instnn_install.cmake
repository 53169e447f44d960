# cmake --install: libraries, headers, the instnn executable, and a
# relocatable package config for find_package(instnn). Every installed path
# is relative to the prefix, so the tree can be moved after installing.
# Two components, one export file each, so that a program that only serves
# models finds only the engine's dependencies:
#   inference  instnn::inference        instnnInferenceTargets.cmake
#   instnn     instnn::instnn (+ blas)  instnnTargets.cmake
include(CMakePackageConfigHelpers)

install(TARGETS instnn_inference EXPORT instnnInferenceTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS instnn instnn_blas EXPORT instnnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(INSTNN_BUILD_TOOLS)
  install(TARGETS instnn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The public headers. backends/ is left out on purpose: its headers are the
# kernels' internals (Eigen maps, GEMM engine); users pick a backend by name
# through core/backend.hpp.
foreach(dir core layers optim data inference)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${INSTNN_INCLUDE_INSTALL_DIR}/${dir}
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/instnn.hpp DESTINATION ${INSTNN_INCLUDE_INSTALL_DIR} OPTIONAL)

set(INSTNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/instnn)
install(EXPORT instnnInferenceTargets NAMESPACE instnn:: DESTINATION ${INSTNN_CMAKE_DIR})
install(EXPORT instnnTargets NAMESPACE instnn:: DESTINATION ${INSTNN_CMAKE_DIR})
# instnnConfig.cmake.in reads these: whether (and for which CPU) the
# installed code was built with -march=native.
if(INSTNN_NATIVE)
  set(INSTNN_CONFIG_NATIVE ON)
else()
  set(INSTNN_CONFIG_NATIVE OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/instnnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/instnnConfig.cmake INSTALL_DESTINATION ${INSTNN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/instnnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/instnnConfig.cmake ${PROJECT_BINARY_DIR}/instnnConfigVersion.cmake
  DESTINATION ${INSTNN_CMAKE_DIR})
# Printed by `cmake --install`: whether the installed code is tied to
# this machine's CPU.
if(INSTNN_NATIVE)
  install(CODE "message(STATUS \"instnn: installed libinstnn, libinstnn_inference and the instnn executable \"
                              \"were built with -march=native (${INSTNN_NATIVE_ARCH}); they run only on CPUs with \"
                              \"that instruction set (rebuild with -DINSTNN_NATIVE=OFF for other machines)\")")
else()
  install(CODE "message(STATUS \"instnn: installed for the compiler's default target CPU (INSTNN_NATIVE=OFF)\")")
endif()
