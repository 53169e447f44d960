# Data-parallel training under mpirun (built with INSTNN_MPI): fit() over
# MPI against one process, and `mpirun -np 2 instnn train` (resume, a killed
# process, SIGINT). Two processes on this machine, over loopback/shared
# memory. What OpenMPI needs in CI: running as root is allowed explicitly,
# --oversubscribe lets 2 processes run on fewer cores, and its allocations
# that live until exit are not leaks for LeakSanitizer.
if(INSTNN_MPI)
  find_program(INSTNN_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
endif()
if(INSTNN_MPI AND NOT INSTNN_MPIEXEC)
  message(STATUS "instnn: no mpirun found (openmpi-bin); the MPI tests are not registered")
endif()
if(INSTNN_MPI AND INSTNN_MPIEXEC)
  set(INSTNN_MPI_TEST_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0
      OMPI_MCA_rmaps_base_oversubscribe=1)

  add_executable(test_mpi_fit ${CMAKE_CURRENT_SOURCE_DIR}/mpi/fit_test.cpp)
  target_include_directories(test_mpi_fit PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_mpi_fit PRIVATE instnn_mpi GTest::gtest instnn_build_flags)
  add_test(NAME mpi_fit_two_processes
           COMMAND ${INSTNN_MPIEXEC} -np 2 --oversubscribe $<TARGET_FILE:test_mpi_fit>)
  set_tests_properties(mpi_fit_two_processes PROPERTIES LABELS "mpi" TIMEOUT 300
                       ENVIRONMENT "${INSTNN_MPI_TEST_ENV}")

  if(INSTNN_SCRIPT_TESTS)
    instnn_script_steps(cli_train_mpi ${CMAKE_CURRENT_SOURCE_DIR}/mpi/train_mpi.sh "cli;mpi"
                        setup equivalence table resume killed_process interrupt cleanup)
    foreach(step setup equivalence table resume killed_process interrupt cleanup)
      set_tests_properties(cli_train_mpi_${step} PROPERTIES ENVIRONMENT "${INSTNN_MPI_TEST_ENV};INSTNN_MPIEXEC=${INSTNN_MPIEXEC}")
    endforeach()
  endif()
endif()
