# The backend parity suite once more at 1 and at 3 blas threads (the
# discovered tests run at all cores): 3 splits work unevenly on any machine.
foreach(threads 1 3)
  add_test(NAME backend_parity_threads_${threads} COMMAND test_backend_parity)
  set_tests_properties(backend_parity_threads_${threads} PROPERTIES
    ENVIRONMENT INSTNN_PARITY_THREADS=${threads} LABELS unit)
endforeach()
