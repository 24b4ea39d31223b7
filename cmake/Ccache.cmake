# Use ccache when present. The sloppiness settings let ccache cache
# compilations that use a precompiled header.
find_program(JSTIP_CCACHE ccache)
if(JSTIP_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${JSTIP_CCACHE})
  message(STATUS "jstip: compiling through ccache (${JSTIP_CCACHE})")
endif()
