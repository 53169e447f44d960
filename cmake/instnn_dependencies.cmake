# Every third-party dependency, found as CONFIG packages where Debian ships
# them. scripts/install-deps.sh installs all of them.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(cereal REQUIRED)
find_package(fmt REQUIRED)
find_package(ZLIB REQUIRED)
if(INSTNN_BUILD_TOOLS)
  find_package(CLI11 REQUIRED)
endif()

# OpenBLAS: sgemm, plus openblas_set_num_threads from its cblas.h.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(INSTNN_CBLAS_INCLUDE_DIR cblas.h
  PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread x86_64-linux-gnu
  REQUIRED)
if(NOT TARGET instnn_blas)
  add_library(instnn_blas INTERFACE)
  set_target_properties(instnn_blas PROPERTIES EXPORT_NAME blas)
  target_link_libraries(instnn_blas INTERFACE BLAS::BLAS)
  # cblas.h is only needed to compile instnn itself; an installed package
  # must not carry this machine's absolute path, only the link to BLAS.
  target_include_directories(instnn_blas SYSTEM INTERFACE
    $<BUILD_INTERFACE:${INSTNN_CBLAS_INCLUDE_DIR}>)
endif()
