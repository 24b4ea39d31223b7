# JSTIP_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer on every
# target (host, plugins, tests, the sentencepiece module). LibTorch and the other
# system libraries are not instrumented; their allocations still go through
# ASan's malloc. Use a build folder of its own: scripts/test-sanitize.sh.
option(JSTIP_SANITIZE "Build everything with -fsanitize=address,undefined (own build folder: scripts/test-sanitize.sh)" OFF)
if(JSTIP_SANITIZE)
  if(JSTIP_BUILD_FUZZERS)
    message(FATAL_ERROR "JSTIP_SANITIZE and JSTIP_BUILD_FUZZERS each set sanitizer flags; configure them in separate build folders")
  endif()
  # -fno-sanitize-recover: undefined behaviour stops the process, so a test that
  # hits it fails instead of printing a report nobody reads.
  set(JSTIP_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${JSTIP_SANITIZE_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(JSTIP_SANITIZE=1)
  message(STATUS "jstip: building with ASan+UBSan")
endif()
